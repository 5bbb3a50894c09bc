import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from dispatch.tests.factories import request_in_state
from requests_app.checks import personal_data_keys_check
from requests_app.models import Event, HelpRequest, State
from requests_app.retention import requests_anonymise
from requests_app.selectors import public_totals, request_find_for_citizen
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, address, phone_hash FROM requests_app_helprequest WHERE id = %s", [pk])
        return cursor.fetchone()


def test_name_phone_and_address_are_not_stored_in_the_clear():
    req = HelpRequestFactory(name="王小明", phone="13812345678", address="金水路1号")
    name, phone, address, phone_hash = raw_row(req.pk)
    for stored, plain in ((name, "王小明"), (phone, "13812345678"), (address, "金水路1号")):
        assert plain not in stored
        assert stored.startswith("gAAAA")  # a Fernet token
    assert "13812345678" not in phone_hash and len(phone_hash) == 64
    again = HelpRequest.objects.get(pk=req.pk)
    assert (again.name, again.phone, again.address) == ("王小明", "13812345678", "金水路1号")
    # Exact search by phone still works, through the keyed hash.
    assert request_find_for_citizen(ticket_number=req.ticket_number, phone="138 1234 5678") == again


def test_the_exact_point_is_not_stored_in_the_clear_and_survives_a_key_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    req = HelpRequestFactory(latitude=Decimal("34.747812"), longitude=Decimal("113.625367"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT latitude, longitude FROM requests_app_helprequest WHERE id = %s", [req.pk])
        stored = cursor.fetchone()
    for column, plain in zip(stored, ("34.747812", "113.625367"), strict=True):
        assert plain not in column and "34.74" not in column and column.startswith("gAAAA")
    again = HelpRequest.objects.get(pk=req.pk)
    assert (again.latitude, again.longitude) == (Decimal("34.747812"), Decimal("113.625367"))

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new]
    again = HelpRequest.objects.get(pk=req.pk)
    assert (again.latitude, again.longitude) == (Decimal("34.747812"), Decimal("113.625367"))
    settings.FIELD_ENCRYPTION_KEYS = [old]  # a key that no longer opens it: no point, never a wrong one
    assert HelpRequest.objects.get(pk=req.pk).latitude is None


def test_keys_rotate_without_losing_data(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    req = HelpRequestFactory(name="李四", phone="13912345678")
    before = raw_row(req.pk)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # new key first: it encrypts, both decrypt
    assert HelpRequest.objects.get(pk=req.pk).name == "李四"
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = raw_row(req.pk)
    assert after[0] != before[0] and after[3] == before[3]  # re-encrypted; the hash is unchanged

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can now be dropped
    again = HelpRequest.objects.get(pk=req.pk)
    assert (again.name, again.phone) == ("李四", "13912345678")

    settings.FIELD_ENCRYPTION_KEYS = [old]  # a key that no longer opens the data says so
    assert HelpRequest.objects.get(pk=req.pk).name == "[无法解密]"


def test_retention_anonymises_old_finished_requests_and_keeps_the_figures():
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    long_ago = now - dt.timedelta(days=800)
    with time_machine.travel(long_ago, tick=False):
        old_closed = request_in_state(State.CLOSED, name="赵六", phone="13611112222", address="某小区")
        old_open = HelpRequestFactory(name="钱七")
    with time_machine.travel(now, tick=False):
        recent_closed = request_in_state(State.CLOSED, name="孙八")
    totals_before = public_totals()

    assert requests_anonymise(older_than=dt.timedelta(days=365), now=now) == 1
    assert requests_anonymise(older_than=dt.timedelta(days=365), now=now) == 0  # idempotent

    gone = HelpRequest.objects.get(pk=old_closed.pk)
    assert gone.name == "已匿名" and gone.phone == "" and gone.address == "" and gone.phone_hash == ""
    assert "某小区" not in gone.content and gone.anonymised_at == now
    assert Event.objects.filter(request=gone, message__contains="匿名化", is_public=False).count() == 1
    assert HelpRequest.objects.get(pk=old_open.pk).name == "钱七"
    assert HelpRequest.objects.get(pk=recent_closed.pk).name == "孙八"
    from django.core.cache import cache

    cache.clear()
    assert public_totals() == totals_before


def test_deploy_check_warns_until_the_keys_are_set(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.PERSONAL_DATA_HASH_KEY = ""
    assert {w.id for w in personal_data_keys_check(None)} == {"requests_app.W001", "requests_app.W002"}
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.PERSONAL_DATA_HASH_KEY = "x" * 40
    assert personal_data_keys_check(None) == []


SQLITE_ROTATION = """
import django

django.setup()
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from dispatch.models import Notification
from requests_app.models import Category, District, HelpRequest
from requests_app.services import request_submit

assert connection.vendor == "sqlite", connection.vendor
call_command("migrate", verbosity=0)
old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
settings.FIELD_ENCRYPTION_KEYS = [old]
req = request_submit(
    category=Category.objects.get(code="minsheng"), urgency="normal", district=District.objects.get(code="jinshui"),
    name="王小明", phone="13812345678", address="金水路1号", title="停水", content="停水三天",
)
sms = Notification.objects.create(channel="sms", recipient="13812345678", body="x", kind="handed_over", request=req)
settings.FIELD_ENCRYPTION_KEYS = [new, old]
call_command("rotate_encryption_keys")
settings.FIELD_ENCRYPTION_KEYS = [new]
again = HelpRequest.objects.get(pk=req.pk)
assert (again.name, again.phone, again.address) == ("王小明", "13812345678", "金水路1号"), again.name
assert Notification.objects.get(pk=sms.pk).recipient == "13812345678"
print("rotated on sqlite")
"""


@pytest.mark.django_db(databases=[])
def test_key_rotation_runs_on_sqlite_the_database_make_run_uses(on_sqlite):
    """`make run` uses SQLite, which has no SELECT ... FOR UPDATE: rotation must run there too."""
    out = on_sqlite(SQLITE_ROTATION, FIELD_ENCRYPTION_KEYS=None)
    assert "rotated on sqlite" in out
    assert "requests_app.HelpRequest.phone: re-encrypted 1" in out
    assert "dispatch.Notification.recipient: re-encrypted 1" in out


def test_key_rotation_leaves_a_value_no_key_opens_and_says_so(settings):
    from requests_app.retention import personal_data_rotate_keys

    lost, current = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [lost]
    req = HelpRequestFactory(name="周九")
    before = raw_row(req.pk)
    settings.FIELD_ENCRYPTION_KEYS = [current]  # the old key was dropped before rotating

    result = personal_data_rotate_keys()
    assert result.unreadable["requests_app.HelpRequest.name"] == 1
    assert raw_row(req.pk) == before  # left as it was: a key found later still opens it
