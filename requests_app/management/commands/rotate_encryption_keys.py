"""Re-encrypt personal data under the first key of FIELD_ENCRYPTION_KEYS (key rotation)."""

from django.core.management.base import BaseCommand

from requests_app.services import personal_data_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every request's name, phone and address under the current encryption key."

    def handle(self, *args: object, **options: object) -> None:
        count = personal_data_rotate_keys()
        self.stdout.write(f"re-encrypted {count} request(s) under the current key")
