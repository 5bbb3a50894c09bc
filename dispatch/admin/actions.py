"""The request page's workflow actions: one small form per action the user may take now.

A mixin of the request admin (`helprequest.HelpRequestAdmin`), which supplies
`_object_or_404` and `has_triage_permission`. Every form posts to
`action_view`, which changes state only through `dispatch.workflow.transition_apply`
(or, for the actions in APPLY and COMBINED, through the service around it), then
returns to the request, or to the queue's next one (下一件).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpdesk.params import id_or_none
from requests_app.models import Category, HelpRequest

from .. import routing, selectors, services, workflow
from ..feedback import feedback_record
from ..forms import ACTION_FORMS, COMBINED_FORMS
from ..workflow import TransitionError
from . import routing as routing_admin
from . import workbench

if TYPE_CHECKING:  # what the mixin is mixed into (the request admin); a plain class at run time
    from django.contrib import admin
    from django_stubs_ext import StrOrPromise

    class _RequestAdmin(admin.ModelAdmin[HelpRequest]):
        def _object_or_404(self, request: HttpRequest, object_id: str) -> HelpRequest: ...
        def has_triage_permission(self, request: HttpRequest) -> bool: ...
else:
    _RequestAdmin = object


# Actions whose admin form calls a service around the workflow's own transition.
APPLY: dict[str, Callable[..., Any]] = {
    "record_callback": feedback_record,
    "hand_over": routing.request_hand_over_routed,
}


@dataclass(frozen=True)
class Combined:
    """A step of the desk made of several actions of the table, applied by one service.

    Offered (first on the page, open) while its first action is allowed and its
    second not yet: a new request, which the dispatcher would otherwise list,
    wait for the page, then hand over.
    """

    name: str
    label: StrOrPromise
    steps: tuple[str, str]
    apply: Callable[..., Any]


COMBINED: dict[str, Combined] = {
    "list_hand_over": Combined(
        name="list_hand_over",
        label=_("列单并交单"),
        steps=("list", "hand_over"),
        apply=services.request_list_and_hand_over,
    ),
}


class WorkflowActionsMixin(_RequestAdmin):
    """The change page's action forms, the view they post to, and 列单并交单's routing suggestion."""

    def _action_forms(self, request: HttpRequest, obj: HelpRequest) -> list[dict]:
        actions = selectors.request_actions_for(help_request=obj, user=request.user)
        allowed = {a.name for a in actions}
        queue = workbench.queue_of(request)
        hand_over_hint = None  # computed once per page, shared by 交单 and 列单并交单
        items = []
        for combined in COMBINED.values():
            first, then = combined.steps
            if first in allowed and then not in allowed:
                hand_over_hint = hand_over_hint or routing_admin.hand_over_hint(help_request=obj)
                item = self._action_item(obj, combined.name, combined.label, COMBINED_FORMS[combined.name], queue,
                                         initial={**self._list_initial(obj), **hand_over_hint[0]})  # fmt: skip
                suggest_url = reverse("admin:requests_app_helprequest_suggest", args=[obj.pk])
                items.append({**item, "hint": hand_over_hint[1], "routes": True, "open": True,
                              "suggest_url": suggest_url})  # fmt: skip
        for action in actions:
            initial: dict[str, Any] = {}
            hint: Any = None
            if action.name == "hand_over":
                hand_over_hint = hand_over_hint or routing_admin.hand_over_hint(help_request=obj)
                initial, hint = hand_over_hint
            elif action.name == "mark_duplicate":
                hint = routing_admin.duplicate_hints(request=request, help_request=obj)
            elif action.name == "list":
                initial = self._list_initial(obj)
            item = self._action_item(obj, action.name, action.label, ACTION_FORMS[action.name], queue, initial=initial)
            items.append({**item, "hint": hint, "routes": action.name == "hand_over"})
        return items

    @staticmethod
    def _list_initial(obj: HelpRequest) -> dict[str, Any]:
        return {
            "category": obj.category_id,
            "request_type": obj.request_type,
            "is_urgent": obj.is_urgent,
            "tag_nan": obj.tag_nan,
            "tag_chou": obj.tag_chou,
            "tag_pan": obj.tag_pan,
        }

    @staticmethod
    def _action_item(obj: HelpRequest, name: str, label: Any, form_class: type, queue: str | None, *,
                     initial: dict) -> dict:  # fmt: skip
        """One form on the page: "hint" (with "routes" when it is the routing suggestion) and "open" are added."""
        url = reverse("admin:requests_app_helprequest_action", args=[obj.pk, name])
        return {
            "action": {"name": name, "label": label},
            "form": form_class(prefix=name, initial=initial),
            "url": workbench.with_queue(url, queue),
        }

    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """POST one action's small form → transition_apply → message → back to the request."""
        obj = self._object_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form_class = ACTION_FORMS.get(action) or COMBINED_FORMS.get(action)
        if form_class is None:
            raise Http404
        change_url = workbench.change_url(obj.pk, workbench.queue_of(request))
        form = form_class(request.POST, prefix=action)
        if not form.is_valid():
            errors = "；".join(
                f"{form.fields[f].label if f in form.fields else ''}{' '.join(str(m) for m in e)}"
                for f, e in form.errors.items()
            )
            self.message_user(request, gettext("未能提交：%(errors)s") % {"errors": errors}, messages.ERROR)
            return HttpResponseRedirect(change_url)
        # 电话回访 is followed by the system's close or rework, like the citizen's own rating;
        # a hand-over records what routing suggested and what was chosen; a combined step
        # applies its actions through its service.
        if action in COMBINED:
            label, apply = COMBINED[action].label, COMBINED[action].apply
        else:
            label = workflow.ACTIONS_BY_NAME[action].label
            apply = APPLY.get(action) or partial(workflow.transition_apply, action=action)
        try:
            apply(request_id=obj.pk, actor=request.user, **form.cleaned_data)
        except TransitionError as exc:
            self.message_user(
                request,
                gettext("%(action)s失败：%(reason)s") % {"action": label, "reason": exc.message},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                gettext("%(number)s：已%(action)s") % {"number": obj.ticket_number, "action": label},
                messages.SUCCESS,
            )
            if request.POST.get("then") == "next":  # 确认并打开下一件: straight on to the queue's next request
                return HttpResponseRedirect(workbench.next_url(request, obj) or change_url)
        return HttpResponseRedirect(change_url)

    def suggest_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The routing suggestion as if the request were filed under `?category=`, for 列单并交单's
        category select (dispatch/static/dispatch/routing.js): the unit, the assisting units, the hint."""
        obj = self._object_or_404(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.has_triage_permission(request):
            raise PermissionDenied
        wanted = request.GET.get("category", "")
        pk = id_or_none(wanted)
        category = Category.objects.filter(pk=pk, is_active=True).first() if pk else None
        if category is None:
            raise Http404
        initial, hint = routing_admin.hand_over_hint(help_request=obj, category_id=category.pk)
        html = render_to_string("admin/dispatch/helprequest/routing_hint.html", {"hint": hint}, request=request)
        return JsonResponse({"unit": initial["unit"], "assist_units": initial["assist_units"], "html": html})
