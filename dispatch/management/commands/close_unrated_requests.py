"""Close resolved requests nobody rated within FEEDBACK_AUTOCLOSE_SECONDS (idempotent; beat runs it too)."""

from django.core.management.base import BaseCommand

from dispatch.feedback import requests_autoclose


class Command(BaseCommand):
    help = "自动销号：办结后超过设定时间仍未评价的求助件"

    def handle(self, *args: object, **options: object) -> None:
        closed = requests_autoclose()
        self.stdout.write(f"closed {closed}")
