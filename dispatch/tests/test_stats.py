"""Every figure on /stats/ against a hand-built data set whose answer is known, and the small-sample rule.

The data set (times relative to NOW; promises 1 h / 3 h / 7 h / 1 day from submission):

| req | submitted | channel / district | unit | what happened | contact | urgent | resolve | feedback |
| R1 | -10 d | minsheng / jinshui | A | contact +30 min, resolve +5 h, 满意 +6 h → closed | kept | – | kept | kept |
| R2 | -9 d | minsheng / jinshui | A | 难; contact +2 h, resolve +8 h, 不满意 +9 h → reopened | missed | – | missed | kept |
| R3 | -8 d | jiaotong / erqi | B | urgent; never contacted, resolve +2 h, unrated | missed | kept | kept | missed |
| R4 | -7 d | minsheng / jinshui | – | invalid +10 min | waived | – | waived | waived |
| R5 | -40 d | minsheng / jinshui | – | outside the 30-day period | | | | |
| R6 | -1 h | minsheng / jinshui | – | listed; everything still running | running | – | running | running |
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from dispatch import stats
from dispatch.feedback import feedback_record
from dispatch.workflow import CITIZEN, transition_apply
from helpdesk.tests.pages import html_of
from requests_app.models import Urgency
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Zhengzhou
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _submit(at, **kwargs):
    with time_machine.travel(at, tick=False):
        return HelpRequestFactory(**kwargs)


def _act(req, action, actor, at, **params):
    transition_apply(request_id=req.pk, action=action, actor=actor, now=at, **params)


def _handle(req, staff, unit, handler, t0, *, contact=None, resolve=None, **list_params):
    _act(req, "list", staff.dispatcher, t0 + 5 * dt.timedelta(minutes=1), **list_params)
    if contact is not None:
        _act(req, "record_contact", staff.dispatcher, t0 + contact)
    _act(req, "hand_over", staff.dispatcher, t0 + 20 * dt.timedelta(minutes=1), unit=unit)
    _act(req, "accept", handler, t0 + 25 * dt.timedelta(minutes=1))
    if resolve is not None:
        _act(req, "resolve", handler, t0 + resolve, result="已处理")


@pytest.fixture
def dataset(staff, settings):
    settings.STATS_MIN_SAMPLE = 1
    t1, t2, t3, t4, t5, t6 = NOW - 10 * D, NOW - 9 * D, NOW - 8 * D, NOW - 7 * D, NOW - 40 * D, NOW - H
    r1 = _submit(t1)
    _handle(r1, staff, staff.unit_a, staff.handler_a, t1, contact=30 * dt.timedelta(minutes=1), resolve=5 * H)
    feedback_record(request_id=r1.pk, actor=CITIZEN, rating="satisfied", now=t1 + 6 * H)
    r2 = _submit(t2)
    _handle(r2, staff, staff.unit_a, staff.handler_a, t2, contact=2 * H, resolve=8 * H, tag_nan=True)
    feedback_record(request_id=r2.pk, actor=CITIZEN, rating="unsatisfied", now=t2 + 9 * H)
    r3 = _submit(t3, urgency=Urgency.URGENT, category=category("jiaotong"), district=district("erqi"))
    _handle(r3, staff, staff.unit_b, staff.handler_b, t3, resolve=2 * H, is_urgent=True)
    r4 = _submit(t4)
    _act(r4, "mark_invalid", staff.dispatcher, t4 + 10 * dt.timedelta(minutes=1), reason="测试")
    _submit(t5)
    r6 = _submit(t6)
    _act(r6, "list", staff.dispatcher, t6 + 5 * dt.timedelta(minutes=1))
    return {"r1": r1, "r2": r2, "r3": r3}


def _rate(rate):
    return (rate.hits, rate.n)


def test_every_figure_matches_the_known_answer(dataset, staff):
    f = stats.figures_compute(days=30, now=NOW)
    p = f.period
    assert (p.received, p.resolved, p.reported, p.open_now, p.closed) == (5, 2, 2, 2, 1)
    assert [_rate(r) for r in p.rates] == [(1, 3), (1, 1), (2, 3), (2, 3)]
    assert _rate(p.satisfaction) == (1, 2)
    assert p.on_time["resolve"].percent == 66.7
    # All time (also the home page's figures): R5 counts, the period does not matter.
    assert (f.all_time.received, f.all_time.resolved, f.all_time.reported) == (6, 2, 2)
    assert (f.all_time.open_now, f.all_time.closed) == (3, 1)

    units = {r.label: r for r in f.by_unit}
    assert set(units) == {staff.unit_a.name, staff.unit_b.name}  # R4, R6 were never handed over
    a, b = units[staff.unit_a.name], units[staff.unit_b.name]
    assert (a.received, a.resolved, _rate(a.on_time["resolve"]), _rate(a.on_time["contact"])) == (2, 1, (1, 2), (1, 2))
    assert _rate(a.satisfaction) == (1, 2)
    assert (b.received, b.resolved, _rate(b.on_time["resolve"]), _rate(b.on_time["urgent"])) == (1, 1, (1, 1), (1, 1))
    assert _rate(b.satisfaction) == (0, 0) and b.satisfaction.percent is None
    assert [(r.label, r.rank) for r in f.by_unit] == [(staff.unit_b.name, 1), (staff.unit_a.name, 2)]

    channels = {r.label: r for r in f.by_channel}
    assert (channels["民生"].received, channels["交通"].received) == (4, 1)
    assert _rate(channels["民生"].on_time["contact"]) == (1, 2)
    districts = {r.label: (r.received, r.resolved) for r in f.by_district}
    assert districts == {"金水区": (4, 1), "二七区": (1, 1)}

    assert len(f.trend) == 31
    assert sum(r for _, r, _ in f.trend) == 5 and sum(s for _, _, s in f.trend) == 2
    assert {d: r for d, r, _ in f.trend}[dt.date(2026, 3, 5)] == 1  # R1, local day


def test_seven_day_period_only_counts_the_last_week(dataset):
    f = stats.figures_compute(days=7, now=NOW)
    # R4 was submitted exactly 7 days ago (inclusive), R6 an hour ago.
    assert (f.period.received, f.period.resolved) == (2, 0)
    assert [_rate(r) for r in f.period.rates] == [(0, 0)] * 4


def test_small_samples_are_shown_but_not_ranked(dataset, staff, settings):
    settings.STATS_MIN_SAMPLE = 2
    f = stats.figures_compute(days=30, now=NOW)
    ranks = {r.label: r.rank for r in f.by_unit}
    # B's 100 % rests on one case: listed after A, without a rank.
    assert [r.label for r in f.by_unit] == [staff.unit_a.name, staff.unit_b.name]
    assert ranks == {staff.unit_a.name: 1, staff.unit_b.name: None}
    assert f.by_unit[1].on_time["resolve"].is_small


def test_the_page_shows_the_figures_without_personal_data(client, dataset, django_assert_max_num_queries):
    # The figures' aggregates, the channel figures (直办 counts, channel names) and the count per source;
    # all cached together, so a second view runs at most one query (below). Whole days come from the
    # rollups (dispatch.rollups), which the count includes.
    # 12 + 2: intake by source from the rollups (freshness, cells; rollups.sources_read).
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(14):
        response = client.get(reverse("dispatch_public:stats"), {"days": "30"})
    html = response.content.decode()
    assert response.status_code == 200
    for element_id, value in {"p-received": 5, "p-resolved": 2, "p-reported": 2, "p-open": 2, "p-closed": 1}.items():
        assert re.search(rf'id="{element_id}">{value}<', html), element_id
    assert re.search(r'data-kind="resolve">.*?data-hits="2" data-n="3">66.7%', html, re.S)
    assert re.search(r'data-kind="satisfaction">.*?data-hits="1" data-n="2">50.0%', html, re.S)
    assert "<svg" in html and 'id="by-unit"' in html and "style=" not in html.split('id="trend"')[1].split("</svg>")[0]
    # No names, phones, addresses or request text on a public page.
    for secret in ("张三", "138", "金水路1号", "小区停水三天", "老人孩子"):
        assert secret not in html
    # Cached: a second view runs no aggregate query.
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(1):
        client.get(reverse("dispatch_public:stats"), {"days": "30"})


def test_the_cached_page_follows_the_figures_when_they_are_computed_again(client, dataset):
    """The rendered page is cached with the figures: new figures (beat's warm-up) show at once."""
    url = reverse("dispatch_public:stats")
    with time_machine.travel(NOW, tick=False):
        before = client.get(url, {"days": "30"}).content.decode()
        assert re.search(r'id="p-received">5<', before)
        HelpRequestFactory()
        again = client.get(url, {"days": "30"}).content.decode()  # figures still cached
        assert re.search(r'id="p-received">5<', again)
    with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
        stats.figures_warm()
        after = client.get(url, {"days": "30"}).content.decode()
        english = client.get(url, {"days": "30"}, headers={"accept-language": "en"}).content.decode()
    assert re.search(r'id="p-received">6<', after)
    assert re.search(r'id="p-received">6<', english) and '<html lang="en"' in english


def test_the_cached_page_reads_no_channel_figure_or_source_table_again(client, dataset, monkeypatch):
    from dispatch import figures as channel_figures

    url = reverse("dispatch_public:stats")
    with time_machine.travel(NOW, tick=False):
        first = client.get(url, {"days": "30"}).content.decode()
        assert 'id="figure-sources"' in first  # the tables are on the page

        def not_again(**kwargs):
            raise AssertionError("read again although the page fragment is cached")

        monkeypatch.setattr(channel_figures, "channel_figure_tables_cached", not_again)
        monkeypatch.setattr(channel_figures, "requests_by_source_cached", not_again)
        again = client.get(url, {"days": "30"}).content.decode()
    assert re.search(r'id="p-received">5<', again) and 'id="figure-sources"' in again


def test_period_picker_falls_back_to_30_days(client):
    assert stats.period_days("365") == 365
    assert stats.period_days("12") == 30 and stats.period_days(None) == 30
    assert client.get(reverse("dispatch_public:stats"), {"days": "x"}).status_code == 200


def test_home_page_totals_match_stats(client, dataset):
    with time_machine.travel(NOW, tick=False):
        home = client.get("/").content.decode()
        page = client.get(reverse("dispatch_public:stats")).content.decode()
    for home_id, stats_id in (("total-received", "all-received"), ("total-resolved", "all-resolved")):
        home_value = re.search(rf'id="{home_id}">(\d+)<', home).group(1)
        assert re.search(rf'id="{stats_id}">{home_value}<', page)


def test_warming_fills_the_cache_for_every_period(dataset, django_assert_max_num_queries):
    stats.figures_warm()
    with django_assert_max_num_queries(0):
        for days in stats.PERIODS:
            assert stats.figures_get(days=days).days == days


def test_the_trend_chart_has_a_table_for_screen_readers(client, dataset):
    """The chart's text alternative: one row per local day of the period (31: the first is partial), adding up to the period's totals."""
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("dispatch_public:stats"), {"days": "30"})
    html = html_of(response, 'id="trend"', "办理数据公开")
    details = html.split('id="trend-table"')[1].split("</details>")[0]
    assert "<summary" in details and "<caption" in details
    rows = re.findall(r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>', details)
    assert len(rows) == 31
    assert rows[0][0] == "2026-02-13" and rows[-1][0] == "2026-03-15"
    assert sum(int(r[1]) for r in rows) == 5 and sum(int(r[2]) for r in rows) == 2
    assert ("2026-03-05", "1", "1") in rows  # R1, resolved the same day
    # The chart draws the same days (one grey bar per day, titled with its count).
    assert len(re.findall(r'<rect [^>]*fill="#ced4da"><title>', html)) == 31


def test_stats_is_sent_compressed(client, dataset):
    with time_machine.travel(NOW, tick=False):
        plain = client.get(reverse("dispatch_public:stats"))
        packed = client.get(reverse("dispatch_public:stats"), headers={"accept-encoding": "gzip"})
    html_of(plain, "办理数据公开")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert len(packed.content) < len(plain.content) / 2
