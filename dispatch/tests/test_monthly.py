"""每月一题: figures on known data, Asia/Shanghai months, scope, the rollups, the page and its XLSX export."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from dispatch import monthly, problems, rollups
from dispatch.models import ReportExport, StatsDay
from dispatch.workflow import transition_apply
from helpdesk.tests.pages import html_of
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 15, 10, 30, tzinfo=SH)
FEB, MAR = dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def _request(staff, at: dt.datetime, *, dist: str = "jinshui", cat: str = "minsheng", unit=None, **kwargs):
    """A request submitted at `at`, listed and handed over to `unit` (if given) ten minutes later."""
    req = HelpRequestFactory(now=at, district=district(dist), category=category(cat), **kwargs)
    if unit is not None:
        transition_apply(request_id=req.pk, action="list", actor=staff.dispatcher, now=at + dt.timedelta(minutes=5))
        transition_apply(
            request_id=req.pk,
            action="hand_over",
            actor=staff.dispatcher,
            now=at + dt.timedelta(minutes=10),
            unit=unit,
            assist_units=[],
        )
    return req


@pytest.fixture
def known(staff, settings):
    """金水区 × 民生: Dec 1, Jan 2, Feb 4 (kept, missed, duplicate, repeat caller); and two smaller groups."""
    settings.STATS_MIN_SAMPLE = 1
    a, c = staff.unit_a, staff.unit_c
    _request(staff, _at(2025, 12, 10, 9), unit=a)
    _request(staff, _at(2026, 1, 5, 9), unit=a)
    _request(staff, _at(2026, 1, 31, 23, 55), unit=a)  # January in Zhengzhou
    kept = _request(staff, _at(2026, 2, 1, 0, 5), unit=a, phone="13900001111")  # Jan 31 16:05 UTC: February
    transition_apply(request_id=kept.pk, action="accept", actor=staff.handler_a, now=_at(2026, 2, 1, 1))
    transition_apply(
        request_id=kept.pk, action="resolve", actor=staff.handler_a, now=_at(2026, 2, 1, 2), result="已解决"
    )
    _request(staff, _at(2026, 2, 10, 9), unit=a)  # left open: the 7-hour promise is missed
    dup = _request(staff, _at(2026, 2, 12, 9))
    transition_apply(
        request_id=dup.pk,
        action="mark_duplicate",
        actor=staff.dispatcher,
        now=_at(2026, 2, 12, 10),
        duplicate_of=kept,
        note="",
    )
    _request(staff, _at(2026, 2, 28, 23, 30), unit=a, phone="13900001111")  # the same phone again, 27 days later
    _request(staff, _at(2026, 3, 1, 0, 10), unit=a)  # Feb 28 16:10 UTC: March
    _request(staff, _at(2026, 2, 20, 9), cat="jiaotong", unit=a)  # 金水区 × 交通: 1
    _request(staff, _at(2026, 2, 3, 9), dist="zhongyuan", unit=c)  # 中原区 × 民生: 2, unit C
    _request(staff, _at(2026, 2, 4, 9), dist="zhongyuan", unit=c)
    return {"kept": kept, "dup": dup}


def _row(report, dist: str, cat: str):
    (row,) = [r for r in report.rows if (r.district_id, r.category_id) == (district(dist).pk, category(cat).pk)]
    return row


def test_months_are_local_calendar_months():
    assert monthly.month_default(NOW) == FEB
    assert monthly.month_default(_at(2026, 3, 1, 0, 5)) == FEB  # Feb 28 16:05 UTC is already March here
    assert monthly.month_default(_at(2026, 1, 10)) == dt.date(2025, 12, 1)
    assert monthly.month_bounds(FEB) == (_at(2026, 2, 1), _at(2026, 3, 1))
    assert monthly.month_parse("2026-01", now=NOW) == dt.date(2026, 1, 1)
    assert monthly.month_parse("2026-03", now=NOW) == MAR  # this month so far
    for bad in ("2026-04", "1990-01", "2026-13", "x", "", None):  # the future, too old, not a month
        assert monthly.month_parse(bad, now=NOW) == FEB


def test_figures_on_known_data(known, staff):
    report = monthly.monthly_report(user=staff.supervisor, month=FEB, now=NOW)
    assert report.months == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), FEB]
    row = _row(report, "jinshui", "minsheng")
    assert row.counts == [0, 1, 2, 4]
    assert (row.baseline, row.change, row.change_percent) == (1.0, 3.0, 300)
    assert (row.on_time.hits, row.on_time.n) == (1, 3)  # kept; two missed; the duplicate's promise is waived
    assert (row.problem.duplicates, row.problem.repeat_callers, row.repeat_share.hits) == (1, 1, 2)
    assert row.repeat_share.n == 4
    assert row.units == [(staff.unit_a.name, 3), ("未交办", 1)]
    assert report.rows[0] is row  # most requests first
    assert _row(report, "jinshui", "jiaotong").counts == [0, 0, 0, 1]
    assert _row(report, "zhongyuan", "minsheng").units == [(staff.unit_c.name, 2)]
    # 每月一题: each district's biggest group of at least two requests.
    assert [(r.district, r.category) for r in report.headlines] == [("金水区", "民生"), ("中原区", "民生")]
    assert report.total.counts == [0, 1, 2, 7]
    # March so far holds the request of 00:10 on the 1st (16:10 UTC on Feb 28).
    assert _row(monthly.monthly_report(user=staff.supervisor, month=MAR, now=NOW), "jinshui", "minsheng").counts == [
        1, 2, 4, 1,
    ]  # fmt: skip


def test_a_handler_sees_only_their_units(known, staff):
    mine = monthly.monthly_report(user=staff.handler_a, month=FEB, now=NOW)
    assert {(r.district, r.category) for r in mine.rows} == {("金水区", "民生"), ("金水区", "交通")}
    assert _row(mine, "jinshui", "minsheng").counts == [0, 1, 2, 3]  # not the duplicate nobody handled
    assert mine.total.counts[-1] == 4
    theirs = monthly.monthly_report(user=staff.handler_c, month=FEB, now=NOW)
    assert [(r.district, r.received) for r in theirs.rows] == [("中原区", 2)]
    assert monthly.monthly_report(user=staff.nobody, month=FEB, now=NOW).rows == []


def _report_rows(user, month):
    return monthly.export_rows(monthly.monthly_report(user=user, month=month, now=NOW))


def test_rollups_give_the_figures_of_the_rows(known, staff):
    before = {u: _report_rows(u, FEB) for u in (staff.supervisor, staff.handler_a)}  # nothing rolled up: all live
    assert rollups.days_refresh(first=dt.date(2025, 11, 1), last=NOW.date(), now=NOW) > 0
    assert not StatsDay.objects.filter(dirty=True).exists()
    for user, rows in before.items():
        assert _report_rows(user, FEB) == rows
    # A change to a rolled-up day marks it dirty; it is then counted live until rebuilt.
    transition_apply(
        request_id=known["kept"].pk,
        action="reopen",
        actor=staff.supervisor,
        now=NOW - dt.timedelta(minutes=5),
        reason="仍未解决",
    )
    live = problems.problems_live(ranges=[monthly.month_bounds(FEB)], now=NOW)
    assert monthly.problems_read(month=FEB, now=NOW, unit_ids=None) == live
    rollups.days_refresh(first=FEB, last=NOW.date(), now=NOW)
    assert monthly.problems_read(month=FEB, now=NOW, unit_ids=None) == live


def _sheet(content: bytes) -> list[list[str]]:
    """The first sheet's cells as text, read from the XLSX's XML (openpyxl is not a dependency)."""
    book = zipfile.ZipFile(io.BytesIO(content))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
    rows = []
    for row in ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml")).iter(f"{{{ns['m']}}}row"):
        cells = []
        for c in row.findall("m:c", ns):
            kind = c.get("t")
            if kind == "inlineStr":
                cells.append("".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t")))
            elif kind == "s":
                cells.append(shared[int(c.find("m:v", ns).text)])
            else:
                v = c.find("m:v", ns)
                cells.append("" if v is None else v.text)
        rows.append(cells)
    return rows


def _number(text: str) -> float:
    return float(text) if text not in ("", None) else 0.0


def test_the_page_and_its_xlsx_show_the_same_figures(client, known, staff, django_assert_max_num_queries):
    client.force_login(staff.supervisor)
    url = reverse("admin:dispatch_monthly")
    with django_assert_max_num_queries(22):
        response = client.get(url, {"month": "2026-02"})
    assert response.status_code == 200
    page = html_of(response)
    assert "2026-02 每月一题" in page
    # The headline comes first, before the table of every problem.
    assert page.index('id="headline"') < page.index('id="problems"')
    assert re.search(r"本月最突出：金水区 · 民生，4 件（前三月平均 1.0 件）", page)
    assert (
        'data-district="{}" data-category="{}" class="headline"'.format(district("jinshui").pk, category("minsheng").pk)
        in page
    )

    export = client.get(reverse("admin:dispatch_monthly_export", args=["xlsx"]), {"month": "2026-02"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="monthly-2026-02.xlsx"' in export["Content-Disposition"]
    sheet = _sheet(export.content)
    assert sheet[0][:8] == ["每月一题", "区县(市)", "类别", "主办单位", "2025-11", "2025-12", "2026-01", "2026-02"]
    report = response.context["report"]
    by_place = {(r[1], r[2]): r for r in sheet[1:]}
    assert len(sheet) == 1 + len(report.rows) + 1  # the rows and the total
    for row in report.rows:
        got = by_place[(row.district, row.category)]
        assert got[0] == ("是" if row.headline else "")
        assert [int(_number(x)) for x in got[4:8]] == row.counts
        assert _number(got[8]) == row.baseline and _number(got[9]) == row.change
        assert (int(_number(got[11])), int(_number(got[12]))) == (row.on_time.hits, row.on_time.n)
        assert (int(_number(got[14])), int(_number(got[15])), int(_number(got[16]))) == (
            row.problem.duplicates,
            row.problem.repeat_callers,
            row.problem.repeats,
        )
        assert int(_number(got[18])) == row.me_too
        assert f">{row.district}" in page and row.category in page
    assert sheet[-1][1] == "合计" and [int(_number(x)) for x in sheet[-1][4:8]] == report.total.counts
    # The download is on record: who, which month, from where.
    (record,) = ReportExport.objects.all()
    assert (record.user, record.report, record.params, record.ip_address) == (
        staff.supervisor,
        "monthly",
        "2026-02 xlsx",
        "127.0.0.1",
    )


def test_the_page_is_for_staff_roles_and_linked(client, known, staff):
    url = reverse("admin:dispatch_monthly")
    client.force_login(staff.nobody)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:dispatch_monthly_export", args=["xlsx"])).status_code == 403
    assert not ReportExport.objects.exists()
    client.force_login(staff.handler_c)
    page = html_of(client.get(url, {"month": "2026-02"}))
    assert "中原区" in page and staff.unit_c.name in page  # the right page, then what is absent
    assert staff.unit_a.name not in page and "金水区" not in page
    client.force_login(staff.supervisor)
    assert url in html_of(client.get(reverse("admin:index")))
    assert url in html_of(client.get(reverse("admin:dispatch_dashboard")))


def test_the_english_page_and_export_are_translated(client, known, staff):
    client.force_login(staff.supervisor)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = html_of(client.get(reverse("admin:dispatch_monthly"), {"month": "2026-02"}))
        sheet = _sheet(
            client.get(reverse("admin:dispatch_monthly_export", args=["xlsx"]), {"month": "2026-02"}).content
        )
    assert "Problem of the month" in page
    data = {"金水区", "中原区", "民生", "交通", staff.unit_a.name, staff.unit_c.name}
    text = " ".join(" ".join(r) for r in sheet)
    for name in sorted(data, key=len, reverse=True):  # 金水区人民政府 before 金水区
        text = text.replace(name, "")
    assert not re.search(r"[\u4e00-\u9fff]", text), text
