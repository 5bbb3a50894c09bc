import pytest
from django.core.management import call_command

from helpdesk.tests.pages import html_of
from requests_app.models import Publication

pytestmark = pytest.mark.django_db


def test_seed_demo_puts_one_consented_answered_request_on_the_board(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    publication = Publication.objects.get()
    assert publication.request.publish_consent and publication.reply
    html = html_of(
        client.get(f"/board/{publication.request.ticket_number}/"), "小区路灯不亮一周", "单位答复", "路灯已恢复照明"
    )
    assert "演示市民" not in html and "13800000099" not in html
