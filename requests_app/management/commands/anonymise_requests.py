"""Anonymise finished requests older than the retention period (RETENTION_DAYS)."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from requests_app.retention import requests_anonymise, requests_anonymise_again


class Command(BaseCommand):
    help = "Erase personal data of closed/invalid/duplicate requests older than RETENTION_DAYS (figures are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override RETENTION_DAYS")
        parser.add_argument(
            "--again",
            action="store_true",
            help="instead: erase what requests anonymised earlier still hold, under today's inventory",
        )

    def handle(self, *args: object, days: int | None = None, again: bool = False, **options: object) -> None:
        if again:
            count = requests_anonymise_again()
            self.stdout.write(f"erased again the personal data of {count} anonymised request(s)")
            return
        days = settings.RETENTION_DAYS if days is None else days
        count = requests_anonymise(older_than=dt.timedelta(days=days))
        self.stdout.write(f"anonymised {count} request(s) finished more than {days} days ago")
