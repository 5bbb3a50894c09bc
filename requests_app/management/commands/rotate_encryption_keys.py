"""Re-encrypt personal data under the first key of FIELD_ENCRYPTION_KEYS (key rotation)."""

from django.core.management.base import BaseCommand

from requests_app.retention import personal_data_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field of the personal-data inventory under the current encryption key."

    def handle(self, *args: object, **options: object) -> None:
        result = personal_data_rotate_keys()
        for dotted, count in sorted(result.rotated.items()):
            self.stdout.write(f"{dotted}: re-encrypted {count} value(s)")
        for dotted, count in sorted(result.unreadable.items()):
            self.stderr.write(f"{dotted}: {count} value(s) open with no configured key, left as they are")
        self.stdout.write(f"re-encrypted {result.total} value(s) under the current key")
