"""Move API-created requests out of the web form's key space (issue 10, leak 4).

Until now an API submission's request carried the client's token as its
submit_token, so posting that token with the web form returned the other
request's receipt. The request's key becomes the keyed derivation the API now
uses (open311.services.submit_token_for_api, copied here as it was when this
migration was written); the client's token stays on ApiSubmission.
"""

import uuid

from django.db import migrations
from django.utils.crypto import salted_hmac


def _derive(token: uuid.UUID) -> uuid.UUID:
    digest = salted_hmac("requests_app.open311.submit_token", token.hex).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def rekey(apps, schema_editor):
    ApiSubmission = apps.get_model("requests_app", "ApiSubmission")
    HelpRequest = apps.get_model("requests_app", "HelpRequest")
    for submission in ApiSubmission.objects.only("request_id", "token").iterator():
        HelpRequest.objects.filter(pk=submission.request_id, submit_token=submission.token).update(
            submit_token=_derive(submission.token)
        )


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0008_feedback")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
