"""Staff-only views outside the admin's model pages: citizens' photos, served after a permission check.

Photos are stored outside the static tree and have no public URL; this view
is the only way to see one. It is wrapped by the admin site (`dispatch.urls`),
so it asks exactly what every admin page asks: a staff login that passed the
second factor when STAFF_2FA is on. Which photos a user may see is
`dispatch.access`'s rule, like every other staff path.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from requests_app.models import Attachment

from . import access


def attachment_view(request: HttpRequest, pk: int) -> FileResponse:
    visible = access.requests_visible(scope=access.scope_of(request.user))
    attachment = Attachment.objects.filter(pk=pk, request__in=visible).select_related("request").first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{attachment.request.ticket_number}-{attachment.pk}.jpg"'
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
