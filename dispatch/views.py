"""Staff-only views outside the admin: citizens' photos, served after a permission check.

Photos are stored outside the static tree and have no public URL; this view
is the only way to see one. It is thin: the scoping rule lives in
`_requests_visible_to` (to be shared with the admin's scoping).
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest

from requests_app.models import Attachment, HelpRequest

from . import roles


def _requests_visible_to(user) -> QuerySet[HelpRequest]:  # noqa: ANN001
    """Dispatchers and supervisors see every request; a handler only their units' requests."""
    if not user.has_perm("requests_app.view_helprequest"):
        return HelpRequest.objects.none()
    if user.is_superuser or user.groups.filter(name__in=[roles.DISPATCHER, roles.SUPERVISOR]).exists():
        return HelpRequest.objects.all()
    return HelpRequest.objects.filter(
        assignments__unit__unitmembership__user=user, assignments__is_active=True
    ).distinct()


@staff_member_required
def attachment_view(request: HttpRequest, pk: int) -> FileResponse:
    attachment = Attachment.objects.filter(pk=pk, request__in=_requests_visible_to(request.user)).first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{attachment.request.ticket_number}-{attachment.pk}.jpg"'
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
