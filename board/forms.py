"""The board's forms: the approval editor (staff) and 我也遇到 (citizens). Parse only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.phones import phone_normalize

from .services import REASON_MAX, TEXT_MAX, TITLE_MAX

PHONE_INVALID = _("请填写正确的手机号（11位，1开头）或带区号的固定电话（如 0371-66668888）。")


class PublicationForm(forms.Form):
    title = forms.CharField(label=_("公开标题"), max_length=TITLE_MAX)
    content = forms.CharField(label=_("公开内容"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 8}))
    reply = forms.CharField(
        label=_("公开答复"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("单位办结时的答复，已隐去电话、证件号、邮箱和该件登记的姓名、地址；请再读一遍。"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤下原因"),
        max_length=REASON_MAX,
        help_text=_("记入该件的内部记录。撤下后立即从问政板、搜索、订阅和接口中消失；只有重新批准公开才能恢复。"),
    )


class MeTooForm(forms.Form):
    phone = forms.CharField(
        label=_("您的联系电话"),
        max_length=30,
        help_text=_("办结时短信告知您结果。电话不公开，一个电话对一件只计一次。"),
        error_messages={"required": _("请填写联系电话。"), "max_length": _("电话号码过长，请检查。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        normalized = phone_normalize(self.cleaned_data["phone"])
        if normalized is None:
            raise forms.ValidationError(PHONE_INVALID, code="phone")
        return normalized
