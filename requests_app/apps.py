from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("市民求助")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy checks
