"""System checks for deployment: personal-data keys must be set explicitly in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def personal_data_keys_check(app_configs, **kwargs):  # noqa: ANN001, ANN003, ANN201
    problems = []
    if not settings.FIELD_ENCRYPTION_KEYS:
        problems.append(
            checks.Warning(
                "FIELD_ENCRYPTION_KEYS is not set: personal data is encrypted with a key derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (see README, Personal data).",
                id="requests_app.W001",
            )
        )
    if not settings.PERSONAL_DATA_HASH_KEY:
        problems.append(
            checks.Warning(
                "PERSONAL_DATA_HASH_KEY is not set: phone hashes use a key derived from SECRET_KEY.",
                hint="Set PERSONAL_DATA_HASH_KEY to a long random string and keep it stable.",
                id="requests_app.W002",
            )
        )
    return problems
