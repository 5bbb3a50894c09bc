"""Small forms for the workflow's actions in admin: they parse input; `transition_apply` decides.

Parsing is theirs alone: they turn typed text into rows and numbers (a ticket
number into the main HelpRequest, a unit id into a Unit, hours into an int), and
the workflow's effects accept only those.

`ACTION_FORMS[name]` has exactly the fields the table's `Action.fields` lists
(a test keeps the two in step); `cleaned_data` is passed as the action's params.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import HelpRequestForm
from requests_app.models import Category, Feedback, HelpRequest, RequestType, Source

from .models import Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _note(label: StrOrPromise, *, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


def _units() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(label=_("主办单位"), queryset=Unit.objects.filter(is_active=True))


class ListForm(forms.Form):
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.filter(is_active=True))
    request_type = forms.ChoiceField(label=_("诉求类型"), choices=[("", "—"), *RequestType.choices], required=False)
    is_urgent = forms.BooleanField(label=_("急（3小时内落实解决）"), required=False)
    tag_nan = forms.BooleanField(label=_("难"), required=False)
    tag_chou = forms.BooleanField(label=_("愁"), required=False)
    tag_pan = forms.BooleanField(label=_("盼"), required=False)
    note = _note(_("内部说明"))


class NoteForm(forms.Form):
    note = _note(_("说明"))


class ReasonForm(forms.Form):
    reason = _note(_("理由"), required=True)


class DuplicateForm(forms.Form):
    duplicate_of = forms.CharField(label=_("主件编号"), max_length=24)
    note = _note(_("说明（市民可见）"))

    def clean_duplicate_of(self) -> HelpRequest:
        """The main request, by its ticket number as staff type it (any case, spaces around)."""
        number = self.cleaned_data["duplicate_of"].strip().upper()
        main = HelpRequest.objects.filter(ticket_number=number).first()
        if main is None:
            raise forms.ValidationError(_("请填写有效的主件编号"), code="unknown")
        return main


class HandOverForm(forms.Form):
    unit = _units()
    assist_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"),
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    instructions = _note(_("交办意见（内部）"))


class ListHandOverForm(ListForm, HandOverForm):
    """列单并交单: the classification and the hand-over in one form (dispatch.services.request_list_and_hand_over).

    One text box, the hand-over's instructions: the classification's own note is left out.
    """

    note = None  # type: ignore[assignment]
    field_order = ("category", "request_type", "is_urgent", "tag_nan", "tag_chou", "tag_pan",
                   "unit", "assist_units", "instructions")  # fmt: skip


class EmptyForm(forms.Form):
    pass


class AddNoteForm(forms.Form):
    note = _note(_("办理情况"), required=True)
    is_public = forms.BooleanField(label=_("公开（市民在进度页可见）"), required=False)


class ResolveForm(forms.Form):
    result = _note(_("办理结果（市民将看到这段文字）"), required=True)


class ExtensionForm(forms.Form):
    hours = forms.IntegerField(label=_("延长小时数"), min_value=1, max_value=168, initial=24)
    reason = _note(_("延期理由"), required=True)


class CallbackForm(forms.Form):
    """电话回访: the citizen's answer, as staff heard it on the phone."""

    rating = forms.ChoiceField(label=_("市民评价"), choices=Feedback.Rating.choices, widget=forms.RadioSelect)
    comment = _note(_("市民意见（市民可见）"))


class BulkHandOverForm(forms.Form):
    unit = _units()
    instructions = _note(_("交办意见（内部）"))


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "list": ListForm,
    "record_contact": NoteForm,
    "mark_invalid": ReasonForm,
    "mark_duplicate": DuplicateForm,
    "hand_over": HandOverForm,
    "accept": EmptyForm,
    "return": ReasonForm,
    "add_note": AddNoteForm,
    "resolve": ResolveForm,
    "request_extension": ExtensionForm,
    "approve_extension": NoteForm,
    "refuse_extension": NoteForm,
    "urge": NoteForm,
    "reopen": ReasonForm,
    "close": NoteForm,
    "rate": CallbackForm,  # the citizen's own form is requests_app.forms.FeedbackForm
    "record_callback": CallbackForm,
}


class OperatorIntakeForm(HelpRequestForm):
    """The citizen's form as an operator types it for a caller or walk-in (代录): the same fields,
    rules and messages, with the source; no photos and no bot checks (the operator is logged in).
    Laid out for the keyboard: the source and phone first, the caller's words last."""

    bot_checks = False
    source = forms.ChoiceField(
        label=_("来源"),
        choices=[(Source.PHONE, Source.PHONE.label), (Source.VISIT, Source.VISIT.label)],
        initial=Source.PHONE,
        error_messages={"required": _("请选择来源。"), "invalid_choice": _("请选择电话或来访。")},
    )
    field_order = ("source", "phone", "name", "district", "category", "urgency", "title", "content", "address")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The point: "使用我的位置" would give the operator's desk, not the caller's place. Publishing
        # on the 问政 board is the citizen's own tick on the web form, never an operator's.
        dropped = ("website", "shown_at", "photos", "advice_seen", "captcha", "latitude", "longitude", "publish")
        for browser_only in dropped:
            self.fields.pop(browser_only, None)
        self.order_fields(self.field_order)
        self.fields["consent"].label = _("已告知市民：个人信息仅用于办理本次求助（空格键勾选）")
        self.fields["consent"].error_messages["required"] = _("请告知市民隐私说明后勾选。")
        self.fields["phone"].widget.attrs.update(autofocus=True, accesskey="p")
        self.fields["phone"].help_text = _("来电号码；按“查来电记录”可看此号码以前的求助件。")


# The desk's combined steps, each several actions of the table applied by one service.
COMBINED_FORMS: dict[str, type[forms.Form]] = {
    "list_hand_over": ListHandOverForm,
}
