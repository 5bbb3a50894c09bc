"""Staff-only views outside the admin: citizens' photos, served after a permission check.

Photos are stored outside the static tree and have no public URL; this view
is the only way to see one. It is thin: the scoping rule is the admin's
(`selectors.requests_visible_to`).
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest

from requests_app.models import Attachment

from . import selectors


@staff_member_required
def attachment_view(request: HttpRequest, pk: int) -> FileResponse:
    visible = selectors.requests_visible_to(user=request.user)
    attachment = Attachment.objects.filter(pk=pk, request__in=visible).select_related("request").first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{attachment.request.ticket_number}-{attachment.pk}.jpg"'
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
