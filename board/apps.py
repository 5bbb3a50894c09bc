from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoardConfig(AppConfig):
    name = "board"
    verbose_name = _("问政板")

    def ready(self) -> None:
        from dispatch.joins import joins_source_register
        from dispatch.notifications import event_hook_register

        from . import personal_data  # noqa: F401 - registers the board's personal data
        from .selectors import me_too_by_problem, me_too_times
        from .services import me_too_messages_for_event

        # On 办结, everyone who said 我也遇到 is told, through dispatch's outbox.
        event_hook_register(me_too_messages_for_event)
        # Each 我也遇到 counts like one more request in the surge rule (dispatch.surges.rule),
        # and 每月一题 shows the month's joins per district × channel × unit.
        joins_source_register(times=me_too_times, per_problem=me_too_by_problem)
