"""The Celery application. Every periodic schedule is declared here, in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedules(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "deadlines-sweep": {
            "task": "dispatch.tasks.deadlines_sweep_task",
            "schedule": float(settings.DEADLINE_SWEEP_SECONDS),
            "options": {"expires": float(settings.DEADLINE_SWEEP_SECONDS)},
        },
        "surges-detect": {
            "task": "dispatch.tasks.surges_detect_task",
            "schedule": float(settings.SURGE_INTERVAL_SECONDS),
            "options": {"expires": float(settings.SURGE_INTERVAL_SECONDS)},
        },
        "feedback-autoclose": {
            "task": "dispatch.tasks.requests_autoclose_task",
            "schedule": float(settings.FEEDBACK_AUTOCLOSE_SWEEP_SECONDS),
            "options": {"expires": float(settings.FEEDBACK_AUTOCLOSE_SWEEP_SECONDS)},
        },
        "stats-warm": {
            "task": "dispatch.tasks.stats_warm_task",
            "schedule": float(settings.STATS_WARM_SECONDS),
            "options": {"expires": float(settings.STATS_WARM_SECONDS)},
        },
        "open311-webhooks-sweep": {
            "task": "requests_app.tasks.webhooks_sweep_task",
            "schedule": float(settings.OPEN311_WEBHOOK_SWEEP_SECONDS),
            "options": {"expires": float(settings.OPEN311_WEBHOOK_SWEEP_SECONDS)},
        },
        # Sends outbox rows whose task never reached the broker (or keeps failing).
        "notifications-flush": {
            "task": "dispatch.tasks.notifications_flush_task",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
    }
