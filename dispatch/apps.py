from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("交办督办")

    def ready(self) -> None:
        from . import personal_data  # noqa: F401 - registers the back office's personal data
