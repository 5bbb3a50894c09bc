"""Staff-only views outside the admin's model pages: citizens' photos, and operator intake (代录).

Photos are stored outside the static tree and have no public URL; this view
is the only way to see one. It is wrapped by the admin site (`dispatch.urls`),
so it asks exactly what every admin page asks: a staff login that passed the
second factor when STAFF_2FA is on. Which photos a user may see is
`dispatch.access`'s rule, like every other staff path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from helpdesk.clientip import client_ip
from helpdesk.params import id_or_none
from requests_app import services as request_services
from requests_app.intake import advice_collect as intake_advice_collect
from requests_app.models import Attachment, District, HelpRequest, Source
from requests_app.selectors import track_token_for

from . import access, intake
from .forms import OperatorIntakeForm
from .models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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


# --- Operator intake (代录) -------------------------------------------------------------


def _intake_allowed(request: HttpRequest) -> None:
    if not access.may_take_intake(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def intake_view(request: HttpRequest) -> HttpResponse:
    """One page for a call: the form, the caller's earlier requests, answers and duplicates inline.

    "查来电记录 / 看提示" (or any refused submit) shows the page again with everything typed kept;
    "提交" stores the request once (the form's key makes a double submit return the first).
    """
    _intake_allowed(request)
    user = cast("User", request.user)
    history: list | None = None
    advice: list = []
    duplicates: list = []
    if request.method == "POST":
        form = OperatorIntakeForm(request.POST)
        checking = "check" in request.POST
        if not checking and form.is_valid():
            data = form.cleaned_data
            try:
                taken = intake.operator_request_submit(
                    user=user,
                    source=data["source"],
                    data=data,
                    submit_token=data.get("submit_token"),
                    track_link_for=lambda ticket: request.build_absolute_uri(
                        reverse("requests_app:track_token", args=[track_token_for(ticket_number=ticket)])
                    ),
                )
            except request_services.SubmitTokenTaken:
                form.submit_token_renew()
            else:
                return redirect("dispatch:intake_done", ticket_number=taken.help_request.ticket_number)
        elif checking:
            form.is_valid()  # say what to fix now, not after the caller has hung up
        post = request.POST
        history = intake.caller_history(user=user, phone=post.get("phone", ""), ip_address=client_ip(request))
        category = post.get("category", "")
        advice = intake_advice_collect(
            title=post.get("title", "")[:200],
            content=post.get("content", "")[:2000],
            category_id=id_or_none(category),
        )
        district_pk = id_or_none(post.get("district", ""))
        district = District.objects.filter(pk=district_pk).first() if district_pk else None
        duplicates = intake.intake_duplicates(
            user=user, district=district, title=post.get("title", "")[:60], content=post.get("content", "")[:2000]
        )
    else:
        form = OperatorIntakeForm()
    context = {
        **admin.site.each_context(request),
        "title": _("代录求助"),
        "form": form,
        "history": history,
        "advice": advice,
        "duplicates": duplicates,
        "intake_source": form["source"].value() or Source.PHONE,
    }
    response = render(request, "admin/dispatch/intake.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET"])
def intake_done_view(request: HttpRequest, ticket_number: str) -> HttpResponse:
    """What the operator reads out: the ticket number and the progress link (and whether the SMS is queued)."""
    _intake_allowed(request)
    help_request = (
        HelpRequest.objects.filter(
            ticket_number=ticket_number, events__actor=cast("User", request.user), events__kind="submitted"
        )
        .only("pk", "ticket_number", "source", "created_at")
        .first()
    )
    if help_request is None:
        raise Http404
    link = request.build_absolute_uri(
        reverse("requests_app:track_token", args=[track_token_for(ticket_number=help_request.ticket_number)])
    )
    sms = Notification.objects.filter(request=help_request, kind=Notification.Kind.RECEIVED).first()
    context = {
        **admin.site.each_context(request),
        "title": _("代录完成"),
        "help_request": help_request,
        "track_link": link,
        "sms": sms,
    }
    response = render(request, "admin/dispatch/intake_done.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
