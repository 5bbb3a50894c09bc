"""The staff admin site: Chinese headers, and optional two-factor login (django-otp).

With STAFF_2FA on, only staff verified by a registered device (TOTP, set up in
admin under 两步验证 → TOTP 设备, scanned from its QR code) may enter; off,
it is Django's ordinary admin login (still throttled by django-axes).
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class YibangAdminSite(OTPAdminSite):
    site_header = _("一帮到底 问政帮办 · 工作台")
    site_title = _("一帮到底")
    index_title = _("问政帮办")
    # The 工作台 on the index and the breadcrumbs lead everywhere; without the
    # model sidebar the worklist fits a 1366 px office screen without scrolling.
    enable_nav_sidebar = False

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property
    def login_form(self):  # noqa: ANN201 - chosen per request from the setting
        return OTPAdminAuthenticationForm if settings.STAFF_2FA else AdminAuthenticationForm

    @property
    def login_template(self):  # noqa: ANN201
        return "otp/admin111/login.html" if settings.STAFF_2FA else None

    def has_permission(self, request) -> bool:  # noqa: ANN001
        if settings.STAFF_2FA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)
