"""Citizen forms: parse and validate input, never store anything.

Field names (`category`, `urgency`, `district`, `name`, `phone`, `address`,
`title`, `content`, `publish`, `consent`) are part of the public interface: the JSON API
and the tests reuse them. Every message is in the citizen's language.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from typing import TYPE_CHECKING, cast

from captcha.fields import CaptchaField
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Layout
from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from . import location, selectors
from .fields import ActiveRowChoiceField, CategoryChoiceField, CoordinateField, MultiplePhotoField
from .models import Category, District, Feedback, Urgency
from .phones import phone_normalize
from .photos import PhotoRejected, photo_clean

if TYPE_CHECKING:
    from django.http import QueryDict

_SHOWN_AT_SALT = "requests_app.form-shown-at"
CONTENT_MIN = 10
CONTENT_MAX = 2000

_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|<\s*script", re.IGNORECASE)
# C0/C1 control characters; newlines and tabs are fine in long text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# A person's name: Chinese characters (incl. extension A), Latin letters, the
# middle dot of minority names, spaces, apostrophes and hyphens.
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z·•.' \-]+$")


def _clean_text(value: str, *, multiline: bool = False) -> str:
    value = (value or "").strip()
    if _HTML_TAG.search(value):
        raise forms.ValidationError(_("请不要输入网页代码或尖括号标签（例如 <script>）。"), code="html")
    text = value if multiline else value.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    if _CONTROL.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise forms.ValidationError(_("内容包含无法识别的控制字符，请删除后重试。"), code="control")
    return text


class HelpRequestForm(forms.Form):
    category = CategoryChoiceField(
        label=_("求助类别"),
        queryset=Category.objects.filter(is_active=True),
        rows=lambda: selectors.active_choices().categories,
        empty_label=_("请选择类别"),
        error_messages={"required": _("请选择求助类别。"), "invalid_choice": _("请选择列表中的求助类别。")},
    )
    urgency = forms.ChoiceField(
        label=_("是否紧急"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=_("紧急问题（如就医、断供）3小时内落实解决；工作人员会核实。"),
        error_messages={"required": _("请选择是否紧急。"), "invalid_choice": _("请选择“紧急”或“一般”。")},
    )
    district = ActiveRowChoiceField(
        label=_("所在区县(市)"),
        queryset=District.objects.filter(is_active=True),
        rows=lambda: selectors.active_choices().districts,
        empty_label=_("请选择区县(市)"),
        error_messages={"required": _("请选择所在区县(市)。"), "invalid_choice": _("请选择列表中的区县(市)。")},
    )
    name = forms.CharField(
        label=_("姓名"),
        max_length=40,
        error_messages={"required": _("请填写姓名。"), "max_length": _("姓名最多 %(limit_value)d 个字。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        help_text=_("手机号或带区号的固定电话，用于工作人员联系您和查询进度。"),
        error_messages={"required": _("请填写联系电话。"), "max_length": _("电话号码过长，请检查。")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("地址（选填）"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("地址最多 %(limit_value)d 个字。")},
    )
    latitude = CoordinateField(
        label=_("纬度（选填）"),
        error_messages={"invalid": _("纬度应是以度为单位的数字，例如 34.757。")},
    )
    longitude = CoordinateField(
        label=_("经度（选填）"),
        help_text=_("点击“使用我的位置”自动填写（WGS-84 坐标）。公开页面只显示约100米范围的位置。"),
        error_messages={"invalid": _("经度应是以度为单位的数字，例如 113.665。")},
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=60,
        error_messages={"required": _("请用一句话概括您的问题。"), "max_length": _("标题最多 %(limit_value)d 个字。")},
    )
    content = forms.CharField(
        label=_("求助内容"),
        min_length=CONTENT_MIN,
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": CONTENT_MAX}),
        help_text=_("请写明事情经过、时间地点和需要的帮助（10–2000字）。"),
        error_messages={
            "required": _("请填写求助内容。"),
            "min_length": _("求助内容至少 %(limit_value)d 个字，请写清楚事情经过。"),
            "max_length": _("求助内容最多 %(limit_value)d 个字（现在 %(show_value)d 个字）。"),
        },
    )
    photos = MultiplePhotoField(
        label=_("照片（选填）"),
        required=False,
        help_text=_("最多 3 张，用于说明情况；照片中的位置等信息会被自动去除，仅工作人员可见。"),
    )
    publish = forms.BooleanField(
        label=_("公开我的诉求和答复"),
        required=False,
        initial=False,
        help_text=_(
            "选填。勾选后，工作人员隐去个人信息并审核文字，您的诉求和单位的答复将显示在问政板上，"
            "其他市民可以查到并点“我也遇到”。姓名、电话和详细位置从不公开；可随时在进度页撤回。"
        ),
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意隐私说明：个人信息仅用于办理本次求助，公开页面不显示完整姓名和电话。"),
        error_messages={"required": _("请阅读并勾选同意隐私说明后再提交。")},
    )
    submit_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # Against bots: a field people never see (hidden by CSS, skipped by screen
    # readers) and the signed time the form was shown.
    website = forms.CharField(
        label=_("请勿填写此项"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1", "aria-hidden": "true"}),
    )
    shown_at = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set once the citizen has seen the intake advice (requests_app.intake): the next submit goes through.
    advice_seen = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Both choice fields read the active rows through one read per form (its stamp is a cache
        # round trip), however often they render or validate; none for a form never used.
        active = functools.cache(selectors.active_choices)
        self.fields["category"].rows = lambda: active().categories
        self.fields["district"].rows = lambda: active().districts
        if not self.is_bound:
            self.initial.setdefault("submit_token", uuid.uuid4())
            self.initial["shown_at"] = signing.dumps(time.time(), salt=_SHOWN_AT_SALT)
        if self.bot_checks and settings.CAPTCHA_ENABLED:
            self.fields["captcha"] = CaptchaField(
                label=_("验证码"),
                help_text=_("请输入图片中的字符（不区分大小写）。"),
                error_messages={"invalid": _("验证码不正确，请重新输入。"), "required": _("请输入验证码。")},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*(item for name in self.fields for item in self._layout_items(name)))

    @staticmethod
    def _layout_items(name: str) -> tuple:
        if name == "website":
            return (Field(name, wrapper_class="hp-field"),)
        if name == "latitude":  # the "使用我的位置" button (and the map, when tiles are set) above the two fields
            return (HTML("{% load location %}{% location_picker %}"), name)
        return (name,)

    # Honeypot and fill-time checks are for browsers; API clients authenticate with a key.
    bot_checks = True

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        self._clean_location(cleaned)
        if not self.bot_checks:
            return cleaned
        if cleaned.get("website"):
            raise forms.ValidationError(_("提交未通过安全校验，请刷新页面后重新提交。"), code="honeypot")
        minimum = settings.FORM_MIN_FILL_SECONDS
        if minimum:
            try:
                shown_at = signing.loads(cleaned.get("shown_at") or "", salt=_SHOWN_AT_SALT, max_age=24 * 3600)
            except signing.BadSignature:
                # Give the re-rendered form a fresh stamp so the next try can pass.
                self._data_replace(shown_at=signing.dumps(time.time(), salt=_SHOWN_AT_SALT))
                raise forms.ValidationError(_("表单已过期，请确认内容后再次提交。"), code="expired") from None
            if time.time() - float(shown_at) < minimum:
                raise forms.ValidationError(_("提交过快，请确认内容后再次提交。"), code="too_fast")
        return cleaned

    def _data_replace(self, **values: str) -> None:
        """Change submitted values for the re-rendered form (request.POST itself is immutable)."""
        data = cast("QueryDict", self.data).copy()
        for name, value in values.items():
            data[name] = value
        self.data = data

    def _clean_location(self, cleaned: dict) -> None:
        """Both coordinates or neither, inside the city's box (a field already refused adds nothing)."""
        if "latitude" in self.errors or "longitude" in self.errors:
            return
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            self.add_error(missing, forms.ValidationError(_("请同时填写纬度和经度，或两项都不填。"), code="half"))
            return
        if latitude is None or longitude is None:
            return
        box = location.city_bbox()
        if not box.contains(latitude, longitude):
            message = _(
                "该位置（纬度 %(lat)s，经度 %(lon)s）不在本市范围内（纬度 %(south)s–%(north)s，"
                "经度 %(west)s–%(east)s）。请检查定位是否准确，或清空位置后提交。"
            ) % {
                "lat": latitude,
                "lon": longitude,
                "south": box.south,
                "north": box.north,
                "west": box.west,
                "east": box.east,
            }
            self.add_error("latitude", forms.ValidationError(message, code="outside_city"))

    def advice_hold(self) -> None:
        """The form comes back once with the advice; everything typed is kept, the next submit goes through."""
        self._data_replace(advice_seen="1")

    def submit_token_renew(self) -> None:
        """The key was refused (another submission holds it): keep everything typed, give a fresh key."""
        self._data_replace(submit_token=str(uuid.uuid4()))
        self.add_error(
            None,
            forms.ValidationError(
                _("这份表单的提交编号已失效，已为您更换。请确认内容后再次提交（如有照片，请重新选择）。"),
                code="submit_token_taken",
            ),
        )

    def clean_photos(self) -> list:
        files = self.cleaned_data.get("photos") or []
        limit = settings.ATTACHMENT_MAX_COUNT
        if len(files) > limit:
            raise forms.ValidationError(_("最多上传 %(limit)d 张照片。") % {"limit": limit}, code="too_many")
        cleaned = []
        for upload in files:
            try:
                cleaned.append(photo_clean(upload.read()))
            except PhotoRejected as exc:
                raise forms.ValidationError(str(exc), code="photo") from exc
        return cleaned

    def clean_name(self) -> str:
        name = _clean_text(self.cleaned_data["name"])
        if not _NAME.match(name):
            raise forms.ValidationError(_("姓名只能包含汉字、字母和“·”，请检查。"), code="name")
        return name

    def clean_phone(self) -> str:
        normalized = phone_normalize(self.cleaned_data["phone"])
        if normalized is None:
            raise forms.ValidationError(
                _("请填写正确的手机号（11位，1开头）或带区号的固定电话（如 0371-66668888）。"), code="phone"
            )
        return normalized

    def clean_address(self) -> str:
        return _clean_text(self.cleaned_data.get("address", ""))

    def clean_title(self) -> str:
        return _clean_text(self.cleaned_data["title"])

    def clean_content(self) -> str:
        return _clean_text(self.cleaned_data["content"], multiline=True)


class LookupForm(forms.Form):
    ticket_number = forms.CharField(
        label=_("求助编号"),
        max_length=24,
        error_messages={"required": _("请填写求助编号。")},
        widget=forms.TextInput(attrs={"placeholder": "ZZ20260315-0042", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("提交时填写的联系电话"),
        max_length=30,
        error_messages={"required": _("请填写提交时的联系电话。")},
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_ticket_number(self) -> str:
        return self.cleaned_data["ticket_number"].strip().upper()


class FeedbackForm(forms.Form):
    """回访: the citizen rates the result of a resolved request (满意 / 基本满意 / 不满意)."""

    rating = forms.ChoiceField(
        label=_("您对办理结果是否满意？"),
        choices=Feedback.Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("请选择满意、基本满意或不满意。")},
    )
    comment = forms.CharField(
        label=_("意见（选填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_comment(self) -> str:
        return _clean_text(self.cleaned_data.get("comment", ""), multiline=True)
