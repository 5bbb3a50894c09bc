"""Print the inventory of personal data as the Markdown table of the README's privacy section."""

from django.core.management.base import BaseCommand

from requests_app.personal_data import inventory_markdown


class Command(BaseCommand):
    help = "Print every field and file holding personal data, and what anonymisation does with it (Markdown)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(inventory_markdown(), ending="")
