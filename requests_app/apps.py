from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _active_choices_changed(**kwargs) -> None:
    # Cache upkeep, not business logic: a channel or district saved anywhere
    # through the ORM (admin list_editable included) must not be served stale
    # by the public forms. Forget now, and again at commit so a request that
    # refilled the cache in between cannot keep the old rows.
    from django.db import transaction

    from .selectors import active_choices_invalidate

    active_choices_invalidate()
    transaction.on_commit(active_choices_invalidate)


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = _("市民求助")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import (
            checks,  # noqa: F401 - registers the deploy checks
            personal_data,  # noqa: F401 - the inventory's own entries
        )
        from .models import Category, District

        for model in (Category, District):
            post_save.connect(
                _active_choices_changed, sender=model, dispatch_uid=f"active_choices_save_{model.__name__}"
            )
            post_delete.connect(
                _active_choices_changed, sender=model, dispatch_uid=f"active_choices_delete_{model.__name__}"
            )
