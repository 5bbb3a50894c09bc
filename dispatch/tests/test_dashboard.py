"""The supervisors' dashboard: the unit table, the late list, exports with scope and masking."""

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from dispatch import dashboard
from dispatch.feedback import feedback_record
from dispatch.models import Unit
from dispatch.workflow import CITIZEN
from helpdesk.tests.pages import html_of
from requests_app.clock import request_clock_refresh
from requests_app.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(make_request, staff, settings):
    settings.STATS_MIN_SAMPLE = 1
    resolved = make_request(State.RESOLVED, phone="13811112222")
    feedback_record(request_id=resolved.pk, actor=CITIZEN, rating="satisfied")
    returned = make_request(State.RETURNED, phone="13833334444")
    accepted = make_request(State.ACCEPTED, phone="13855556666")
    return {"resolved": resolved, "returned": returned, "accepted": accepted}


def test_unit_table_counts(board, staff):
    rows = {r.name: r for r in dashboard.units_scorecard(user=staff.supervisor, days=30)}
    a = rows[staff.unit_a.name]
    assert (a.received, a.returned, a.reopened) == (3, 1, 0)
    assert (a.accepted_on_time.hits, a.accepted_on_time.n) == (2, 2)  # accepted at once; the return is neither
    assert (a.solved_on_time.hits, a.solved_on_time.n) == (1, 1)  # the accepted one is still running
    assert (a.satisfaction.hits, a.satisfaction.n) == (1, 1)
    assert a.late_now == 0
    later = timezone.now() + dt.timedelta(hours=8)
    rows = {r.name: r for r in dashboard.units_scorecard(user=staff.supervisor, days=30, now=later)}
    assert rows[staff.unit_a.name].late_now == 1
    assert rows[staff.unit_a.name].solved_on_time.n == 2


def test_sorting_puts_small_samples_last(board, staff, settings):
    settings.STATS_MIN_SAMPLE = 5
    rows = dashboard.units_scorecard(user=staff.supervisor, days=30, order="received")
    assert rows[0].name == staff.unit_a.name
    rows = dashboard.units_scorecard(user=staff.supervisor, days=30, order="-received")
    assert rows[-1].name == staff.unit_a.name
    by_rate = dashboard.units_scorecard(user=staff.supervisor, days=30, order="satisfaction")
    assert all(r.satisfaction.is_small for r in by_rate)


def test_handler_sees_only_their_units(board, staff):
    assert [r.name for r in dashboard.units_scorecard(user=staff.handler_a, days=30)] == [staff.unit_a.name]
    assert dashboard.units_scorecard(user=staff.nobody, days=30) == []


def test_late_list_most_late_first_and_scoped(make_request, staff):
    older = make_request(State.LISTED)
    newer = make_request(State.ACCEPTED)
    make_request(State.CLOSED)  # closed: never in the late list
    later = timezone.now() + dt.timedelta(days=2)
    late = dashboard.requests_late_now(user=staff.supervisor, now=later)
    assert [r.pk for r in late] == [older.pk, newer.pk]
    assert late[0].overdue_label == "1小时内回应联系"
    assert [r.pk for r in dashboard.requests_late_now(user=staff.handler_a, now=later)] == [newer.pk]
    assert dashboard.requests_late_now(user=staff.handler_c, now=later) == []


def test_dashboard_page(client, board, staff, django_assert_max_num_queries):
    client.force_login(staff.supervisor)
    url = reverse("admin:dispatch_dashboard")
    # 17 + 2: intake by source reads the rollups' freshness and the source cells (rollups.sources_read).
    with django_assert_max_num_queries(19):
        response = client.get(url, {"days": "7", "o": "-late_now"})
    assert response.status_code == 200
    assert staff.unit_a.name in response.content.decode()
    client.force_login(staff.nobody)
    assert client.get(url).status_code == 403
    client.force_login(staff.supervisor)
    assert b"dashboard-links" in client.get(reverse("admin:index")).content


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_request_export_respects_scope_and_masks_phones(client, board, staff, make_request):
    other = make_request(State.LISTED, phone="13877778888")  # not handed over: dispatchers only
    url = reverse("admin:requests_app_helprequest_export", args=["csv"])

    client.force_login(staff.supervisor)
    rows = _csv(client.get(url))
    assert rows[0][0] == "编号" and len(rows) == 1 + 4
    assert "13811112222" in {r[12] for r in rows}

    client.force_login(staff.handler_a)  # lead unit: full contact, only its requests
    rows = _csv(client.get(url))
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {board["resolved"].ticket_number, board["accepted"].ticket_number}
    assert other.ticket_number not in numbers
    assert {r[12] for r in rows[1:]} == {"13811112222", "13855556666"}

    client.force_login(staff.handler_b)  # assisting unit: sees the requests, phones masked
    rows = _csv(client.get(url))
    assert {r[12] for r in rows[1:]} == {"138****2222", "138****6666"}
    assert all("*" in r[11] for r in rows[1:])

    client.force_login(staff.handler_c)
    assert len(_csv(client.get(url))) == 1

    # Filters of the changelist apply.
    client.force_login(staff.supervisor)
    rows = _csv(client.get(url, {"state__exact": "accepted"}))
    assert [r[0] for r in rows[1:]] == [board["accepted"].ticket_number]


def test_xlsx_exports(client, board, staff):
    client.force_login(staff.handler_b)
    response = client.get(reverse("admin:requests_app_helprequest_export", args=["xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = zipfile.ZipFile(io.BytesIO(response.content))
    xml = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/"))
    assert "138****2222" in xml and "13811112222" not in xml
    client.force_login(staff.supervisor)
    response = client.get(reverse("admin:dispatch_dashboard_export", args=["xlsx"]), {"days": "30"})
    assert response.status_code == 200 and zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None
    units = _csv(client.get(reverse("admin:dispatch_dashboard_export", args=["csv"]), {"days": "30"}))
    assert units[0][0] == "单位" and staff.unit_a.name in {r[0] for r in units}
    assert client.get(reverse("admin:dispatch_dashboard_export", args=["pdf"])).status_code == 404


def test_csv_cells_cannot_become_formulas():
    from dispatch.exports import _safe

    assert _safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _safe("平常") == "平常" and _safe(3) == 3


HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef]+")


@pytest.fixture
def _chinese_after():
    """LocaleMiddleware leaves the request's language active in the thread: do not leak English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.usefixtures("_chinese_after")
def test_an_english_speaking_supervisor_reads_the_dashboard_and_its_exports_in_english(client, board, staff):
    """Every header, label, note and export header in English; only the data (units, titles) stays Chinese."""
    now = timezone.now()
    board["accepted"].deadlines.filter(kind="resolve").update(due_at=now - dt.timedelta(hours=2), breached_at=now)
    request_clock_refresh(request_ids=[board["accepted"].pk])  # the rows were written past the services
    client.force_login(staff.supervisor)
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.get(reverse("admin:dispatch_dashboard"), {"days": "30"}, **en)
    html = html_of(response, 'id="units"', 'id="late"')
    main = html.split('id="content-main"')[1].split("</main>")[0]
    assert board["accepted"].ticket_number in main.split('id="late"')[1]  # the late list has its row
    data = {board["accepted"].title, *Unit.objects.values_list("name", flat=True)}
    for value in sorted(data, key=len, reverse=True):
        main = main.replace(value, "")
    assert HAN.findall(main) == []
    assert "Supervision scorecard" in html and "Late now (most overdue first)" in html

    units = _csv(client.get(reverse("admin:dispatch_dashboard_export", args=["csv"]), {"days": "30"}, **en))
    assert units[0][0] == "Unit" and HAN.findall(" ".join(units[0])) == []
    response = client.get(reverse("admin:dispatch_dashboard_export", args=["xlsx"]), {"days": "30"}, **en)
    book = zipfile.ZipFile(io.BytesIO(response.content))
    strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Satisfaction %" in strings + sheet and "满意率" not in strings + sheet
    requests_csv = _csv(client.get(reverse("admin:requests_app_helprequest_export", args=["csv"]), **en))
    assert HAN.findall(" ".join(requests_csv[0])) == []


@pytest.mark.parametrize("state", sorted(State.values))
def test_late_means_past_due_and_not_finished(make_request, staff, state):
    """`requests_late` lists a request past its next due time unless it is finished, in every state.

    The selector spells "not finished" as a list of states so the planner can use
    the partial req_active_due_idx; this pins that the list and FINISHED_STATES agree.
    """
    from dispatch.selectors import requests_late
    from requests_app.models import FINISHED_STATES, HelpRequest

    req = make_request(state) if state != State.DUPLICATE else make_request(State.SUBMITTED)
    if state == State.DUPLICATE:
        other = make_request(State.SUBMITTED)
        HelpRequest.objects.filter(pk=req.pk).update(state=state, duplicate_of=other)
    now = timezone.now()
    # Force a past due time whatever the workflow left (finished requests usually have none).
    HelpRequest.objects.filter(pk=req.pk).update(next_due_at=now - dt.timedelta(minutes=1))
    late = set(requests_late(queryset=HelpRequest.objects.all(), now=now).values_list("pk", flat=True))
    assert (req.pk in late) == (state not in FINISHED_STATES)
    HelpRequest.objects.filter(pk=req.pk).update(next_due_at=now + dt.timedelta(minutes=1))
    assert not requests_late(queryset=HelpRequest.objects.filter(pk=req.pk), now=now).exists()
