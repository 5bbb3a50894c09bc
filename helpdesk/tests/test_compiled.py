"""Querysets compiled once per connection (helpdesk.compiled): the citizen's page reads through them."""

import pytest
from django.db.models import F

from dispatch.tests.factories import request_in_state
from helpdesk.compiled import CompiledQuery
from requests_app import public, selectors
from requests_app.models import HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory

pytestmark = pytest.mark.django_db


def _loaded(obj):
    """What an instance holds: its loaded columns and annotations (not Django's _state)."""
    return {k: v for k, v in vars(obj).items() if k != "_state"}


def test_it_reads_what_its_queryset_reads_joins_annotations_and_decrypted_columns(django_assert_num_queries):
    main = HelpRequestFactory(name="李四", phone="13900000001")
    duplicate = request_in_state(State.DUPLICATE, duplicate_of=main)
    for req in (main, duplicate):
        expected = next(iter(selectors._request_qs().filter(ticket_number=req.ticket_number)[:1]))
        channel_and_district = (expected.category.code, expected.district.name)
        with django_assert_num_queries(1):
            (found,) = selectors._BY_NUMBER.fetch(number=req.ticket_number)
            # The channel and district came in the same row, as select_related reads them.
            assert (found.category.code, found.district.name) == channel_and_district
        assert _loaded(found) == _loaded(expected) and "name" in _loaded(found)
        assert found._state.adding is False and found._state.db == "default"
    assert found.main_number == main.ticket_number and found.main_state == State.SUBMITTED
    (mine,) = selectors._BY_NUMBER.fetch(number=main.ticket_number)
    assert (mine.name, mine.phone) == ("李四", "13900000001")  # decrypted as the ORM does
    assert mine.created_at.tzinfo is not None


def test_each_fetch_binds_its_own_values():
    first, second = HelpRequestFactory(phone="13900000002"), HelpRequestFactory(phone="13900000003")
    by_number = CompiledQuery(
        lambda number: HelpRequest.objects.filter(ticket_number=number).only("ticket_number"), number=str
    )
    assert [r.pk for r in by_number.fetch(number=first.ticket_number)] == [first.pk]
    assert [r.pk for r in by_number.fetch(number=second.ticket_number)] == [second.pk]
    assert by_number.fetch(number="ZZ00000000-0000") == []
    # The citizen's lookup: the right phone finds it, another phone does not.
    assert selectors.request_find_for_citizen(ticket_number=first.ticket_number, phone="13900000002").pk == first.pk
    assert selectors.request_find_for_citizen(ticket_number=first.ticket_number, phone="13900000003") is None


def test_integer_values_and_ordering_are_kept():
    req = HelpRequestFactory()
    lines = public.deadlines_of(help_request=req)
    assert [d.kind for d in lines] == list(
        req.deadlines.order_by("due_at", "id").values_list("kind", flat=True)
    ) and len(lines) >= 3
    assert public.public_events(help_request=req)[0].kind == "submitted"


def test_an_annotation_of_the_queryset_is_set_on_each_instance():
    req = HelpRequestFactory()
    with_reopens = CompiledQuery(
        lambda pk: HelpRequest.objects.filter(pk=pk).only("id").annotate(twice=F("reopen_count") + 2), pk=int
    )
    (found,) = with_reopens.fetch(pk=req.pk)
    assert found.twice == 2


def test_a_lookup_that_changes_its_value_is_refused_at_once():
    contains = CompiledQuery(lambda text: HelpRequest.objects.filter(title__icontains=text), text=str)
    with pytest.raises(ValueError, match="text"):
        contains.fetch(text="停水")
    with pytest.raises(TypeError):
        CompiledQuery(lambda when: HelpRequest.objects.filter(created_at=when), when=object)
    with pytest.raises(TypeError, match="number"):
        selectors._BY_NUMBER.fetch(ticket="ZZ00000000-0001")


SQLITE_PAGE = r"""
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from requests_app.models import Category, District
from requests_app.services import request_submit

assert connection.vendor == "sqlite", connection.vendor
call_command("migrate", verbosity=0)
req = request_submit(
    category=Category.objects.get(code="minsheng"), urgency="normal", district=District.objects.get(code="jinshui"),
    name="王小明", phone="13812345678", address="金水路1号", title="停水", content="停水三天",
)
page = Client().post(reverse("requests_app:track"), {"ticket_number": req.ticket_number, "phone": "13812345678"})
html = page.content.decode()
assert page.status_code == 200, page.status_code
assert req.ticket_number in html and "王**" in html and "138****5678" in html, html[:2000]
assert "市民提交求助" in html, "the timeline"
print("progress page on sqlite")
"""


@pytest.mark.django_db(databases=[])
def test_the_progress_page_reads_through_it_on_sqlite_the_database_make_run_uses(on_sqlite, tmp_path):
    """SQLite hands back times as text: the compiled rows go through the same converters as the ORM's."""
    out = on_sqlite(SQLITE_PAGE, CACHE_URL=f"filecache://{tmp_path / 'cache'}", ALLOWED_HOSTS="testserver")
    assert "progress page on sqlite" in out
