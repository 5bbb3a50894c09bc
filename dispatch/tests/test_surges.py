"""Surges (未诉先办): the rule, detection and its idempotence, the one notification, the dashboard, 并单."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.models import Notification, Surge, SurgeMember
from dispatch.surges.handling import surge_merge
from dispatch.surges.rule import Rule, predictive_tail
from dispatch.surges.services import surges_detect
from dispatch.workflow import transition_apply
from helpdesk.tests.pages import html_of
from requests_app.models import Event, HelpRequest, State
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # a Tuesday, 18:00 in Zhengzhou
WATER = ("金水路小区突然停水", "金水路一带今天下午突然停水，没有提前通知，家里老人做不了饭，请尽快恢复供水。")
OTHERS = [
    ("路灯不亮", "文化路北段的路灯连续一周晚上不亮，行人过马路很危险。"),
    ("噪音扰民", "楼下饭店排风扇整夜运转，噪音太大无法休息。"),
    ("公交站牌错误", "88路公交站牌上的首末班时间写错了，耽误上班。"),
]


@pytest.fixture(autouse=True)
def rule_settings(settings):
    settings.SURGE_WINDOW_SECONDS = 2 * 3600
    settings.SURGE_BASELINE_WEEKS = 4
    settings.SURGE_THRESHOLD = 1e-3  # small groups keep the tests short; the bench checks the default
    settings.SURGE_MIN_SIZE = 5
    settings.SURGE_BASELINE_FLOOR = 0.5


@pytest.fixture
def supervisor_mail(staff):
    staff.supervisor.email = "sup@example.gov.cn"
    staff.supervisor.save(update_fields=["email"])
    return staff.supervisor.email


def submit(at, text=WATER, *, where="jinshui", channel="minsheng", point=None, phone=None):
    extra = {"phone": phone} if phone else {}
    if point:
        extra.update(latitude=Decimal(point[0]), longitude=Decimal(point[1]))
    return HelpRequestFactory(
        title=text[0], content=text[1], district=district(where), category=category(channel), now=at, **extra
    )


def burst(n, *, start=NOW - dt.timedelta(minutes=20), every=dt.timedelta(minutes=1), **kwargs):
    return [submit(start + i * every, **kwargs) for i in range(n)]


def background(per_window, *, weeks=4, text=WATER, others=0):
    """`per_window` requests like `text` (and `others` unlike it) in each of the past weeks' same window."""
    for week in range(1, weeks + 1):
        for i in range(per_window):
            submit(NOW - dt.timedelta(weeks=week, minutes=10 + i), text)
        for i in range(others):
            submit(NOW - dt.timedelta(weeks=week, minutes=30 + i), OTHERS[i % len(OTHERS)])


def _negative_binomial_tail(n, past, weeks):
    r, p = 0.5 + past, weeks / (weeks + 1)
    pmf = [math.gamma(r + x) / (math.gamma(r) * math.factorial(x)) * p**r * (1 - p) ** x for x in range(n)]
    return 1 - sum(pmf)


def _poisson_tail(n, lam):
    return 1 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(n))


def test_predictive_tail_matches_the_definition():
    assert predictive_tail(0, 4, 4) == 1.0
    # Both branches (n at most the mean, and above it) agree with the direct sum.
    for n, past, weeks in ((3, 20, 4), (8, 4.8, 4), (15, 4.8, 4), (12, 16, 4), (2, 0, 4)):
        direct = _negative_binomial_tail(n, past, weeks)
        assert predictive_tail(n, past, weeks) == pytest.approx(direct, rel=1e-6, abs=1e-15)
    assert 0 < predictive_tail(38, 4.8, 4) < 1e-18  # tiny, but not rounded to zero


def test_predictive_tail_is_heavier_than_poisson_on_a_short_past_and_alike_on_a_long_one():
    # Ten where four weeks showed five (λ = 1.25): rare for Poisson(1.25), not for what four weeks tell.
    assert _poisson_tail(10, 1.25) < 1e-5 < predictive_tail(10, 5, 4)
    assert predictive_tail(10, 1.25 * 4000, 4000) == pytest.approx(_poisson_tail(10, 1.25), rel=0.02)


def test_rule_is_a_tail_probability_not_a_fixed_count():
    rule = Rule(window_seconds=7200, weeks=4, threshold=1e-4, min_size=5, floor=0.5)
    assert rule.flags(10, past_total=4)  # usually 1 in two hours: 10 is far above
    assert not rule.flags(10, past_total=24)  # usually 6: 10 is ordinary
    assert not rule.flags(4, past_total=0)  # below the minimum size, however quiet the channel
    assert rule.rate(0) == 0.5  # the floor


def test_a_burst_of_similar_requests_is_flagged_with_its_members_and_numbers(staff, supervisor_mail):
    background(1, others=3)  # once a week this water problem, among others of the channel
    members = burst(8)
    unrelated = submit(NOW - dt.timedelta(minutes=5), OTHERS[0])
    elsewhere = burst(3, where="erqi")
    result = surges_detect(now=NOW)
    assert len(result.flagged) == 1
    surge = Surge.objects.get()
    assert set(surge.members.values_list("pk", flat=True)) == {r.pk for r in members}
    assert unrelated.pk not in surge.members.values_list("pk", flat=True)
    assert not SurgeMember.objects.filter(request__in=elsewhere).exists()
    assert (surge.observed, surge.window_seconds, surge.baseline, surge.baseline_weeks) == (8, 1800, 1.0, 4)
    assert surge.tail_probability == pytest.approx(predictive_tail(8, 4, 4)) and surge.tail_probability < 1e-3
    assert surge.summary == "金水区 · 民生 · 8 件 / 30 分钟，平时 1.0 件"
    assert surge.state == Surge.State.OPEN


def test_the_same_count_is_no_surge_where_it_is_usual(staff):
    background(7)  # 7 requests like these in this window every week
    burst(8)
    assert surges_detect(now=NOW).flagged == []
    assert not Surge.objects.exists()


def test_a_busy_channel_still_flags_a_burst_about_one_thing(staff):
    background(0, others=12)  # 12 requests of the channel every week, about other things
    burst(8)
    assert len(surges_detect(now=NOW).flagged) == 1
    assert Surge.objects.get().baseline == 0.5  # none of those read like the burst: the floor


def test_too_few_requests_are_no_surge_even_in_a_silent_channel(staff):
    burst(4)
    assert surges_detect(now=NOW).flagged == []


def test_requests_outside_the_window_do_not_count(staff):
    burst(8, start=NOW - dt.timedelta(hours=3))
    assert surges_detect(now=NOW).flagged == []


def test_similar_texts_in_far_apart_cells_are_different_groups(staff):
    burst(3, point=("34.80", "113.66"))
    burst(3, point=("34.70", "113.60"), start=NOW - dt.timedelta(minutes=10))
    assert surges_detect(now=NOW).flagged == []  # 3 + 3, never 6 in one place
    burst(3, point=("34.801", "113.659"), start=NOW - dt.timedelta(minutes=5))
    assert len(surges_detect(now=NOW).flagged) == 1
    assert Surge.objects.get().members.count() == 6
    assert Surge.objects.get().cell == "34.80,113.66"


def test_detection_is_idempotent_a_surge_grows_and_supervisors_hear_once(staff, supervisor_mail):
    burst(6)
    first = surges_detect(now=NOW)
    again = surges_detect(now=NOW)
    assert len(first.flagged) == 1 and again.flagged == [] and again.grown == []
    surge = Surge.objects.get()
    mails = Notification.objects.filter(kind=Notification.Kind.SURGE)
    assert mails.count() == 1
    mail = mails.get()
    assert (mail.channel, mail.recipient) == (Notification.Channel.EMAIL, supervisor_mail)
    assert "金水区 · 民生 · 6 件 / 30 分钟" in mail.subject
    assert reverse("admin:dispatch_surge_change", args=[surge.pk]) in mail.body

    later = NOW + dt.timedelta(minutes=5)
    burst(4, start=NOW + dt.timedelta(seconds=30))
    grown = surges_detect(now=later)
    assert grown.flagged == [] and grown.grown == [surge.pk]
    surge.refresh_from_db()
    assert surge.members.count() == 10 and surge.observed == 10
    assert Surge.objects.count() == 1 and mails.count() == 1

    # Hours later the same problem, still reported: the surge keeps growing, never a second one.
    for step in range(1, 5):
        at = later + dt.timedelta(minutes=50 * step)
        burst(2, start=at - dt.timedelta(minutes=2))
        surges_detect(now=at)
    assert Surge.objects.count() == 1 and mails.count() == 1
    assert Surge.objects.get().members.count() == 18


def test_detect_surges_command_runs_the_same_detection(staff, capsys):
    burst(6)
    call_command("detect_surges", "--now", NOW.isoformat())
    assert "flagged=1" in capsys.readouterr().out
    call_command("detect_surges", "--now", NOW.isoformat())
    assert "flagged=0" in capsys.readouterr().out
    assert Surge.objects.count() == 1


def test_the_beat_schedule_runs_the_task_at_the_interval(settings):
    from helpdesk.celery import app

    app.loader.import_default_modules()
    app.finalize()
    entry = app.conf.beat_schedule["surges-detect"]
    assert entry["task"] == "dispatch.tasks.surges_detect_task"
    assert entry["schedule"] == float(settings.SURGE_INTERVAL_SECONDS)


@pytest.fixture
def flagged(staff):
    members = burst(6)
    surges_detect(now=NOW)
    return Surge.objects.get(), members


def test_dashboard_and_admin_list_show_the_surge_to_supervisors_only(client, staff, flagged):
    surge, members = flagged
    client.force_login(staff.supervisor)
    html = html_of(client.get(reverse("admin:dispatch_dashboard")), 'id="surges"')
    panel = html.split('id="surges"', 1)[1].split("</table>", 1)[0]
    assert "金水区 · 民生 · 6 件 / 30 分钟，平时 0.5 件" in panel and WATER[0] in panel
    html_of(client.get(reverse("admin:dispatch_surge_changelist")), "金水区 · 民生 · 6 件")
    page = html_of(client.get(reverse("admin:dispatch_surge_change", args=[surge.pk])), 'id="surge-members"')
    for member in members:
        assert member.ticket_number in page
    assert "在过去 4 周同一星期几、同一时段的同样长的窗口内平均 0.5 件" in page
    client.force_login(staff.handler_a)
    assert client.get(reverse("admin:dispatch_surge_changelist")).status_code == 403
    html = html_of(client.get(reverse("admin:dispatch_dashboard")), 'id="surges"')
    assert "目前没有突发聚集" in html and "6 件 / 30 分钟" not in html


def test_supervisor_merges_a_surge_and_one_reply_reaches_every_citizen(client, staff, flagged):
    surge, members = flagged
    lead, rest = members[0], members[1:]
    client.force_login(staff.supervisor)
    response = client.post(reverse("admin:dispatch_surge_merge", args=[surge.pk]), {"lead": lead.pk}, follow=True)
    html_of(response, "已将 5 件并入主件")
    surge.refresh_from_db()
    assert (surge.state, surge.lead_id) == (Surge.State.MERGED, lead.pk)
    for member in rest:
        member.refresh_from_db()
        assert (member.state, member.duplicate_of_id) == (State.DUPLICATE, lead.pk)
        event = member.events.get(data__action="mark_duplicate")
        assert event.actor_id == staff.supervisor.pk and event.is_public and lead.ticket_number in event.message

    # The lead is handled once; its reply reaches every merged citizen, masked of the lead citizen's name.
    for action, actor, params in (
        ("list", staff.dispatcher, {}),
        ("hand_over", staff.dispatcher, {"unit": staff.unit_a}),
        ("accept", staff.handler_a, {}),
        ("resolve", staff.handler_a, {"result": "供水管道已抢修完毕，张三反映的金水路一带已恢复供水。"}),
    ):
        transition_apply(request_id=lead.pk, action=action, actor=actor, **params)
    for member in rest:
        follow = member.events.get(data__action="main_followed")
        assert follow.is_public and lead.ticket_number in follow.message
        assert "已恢复供水" in follow.note and "张三" not in follow.note
        sms = Notification.objects.get(request=member, kind=Notification.Kind.MAIN_RESOLVED)
        assert sms.channel == Notification.Channel.SMS and sms.recipient == member.phone
        assert member.ticket_number in sms.body
    page = client.get(reverse("requests_app:track_token", args=[track_token_for(ticket_number=rest[0].ticket_number)]))
    timeline = html_of(page, rest[0].ticket_number, 'id="timeline"').split('id="timeline"', 1)[1]
    assert "已恢复供水" in timeline and "张三" not in timeline


def test_merge_skips_members_already_handed_over_and_refuses_a_lead_outside(staff, flagged):
    surge, members = flagged
    transition_apply(request_id=members[1].pk, action="list", actor=staff.dispatcher)
    transition_apply(request_id=members[1].pk, action="hand_over", actor=staff.dispatcher, unit=staff.unit_a)
    outsider = submit(NOW, OTHERS[1])
    from dispatch.workflow import TransitionError

    with pytest.raises(TransitionError):
        surge_merge(surge_id=surge.pk, lead_id=outsider.pk, actor=staff.supervisor)
    result = surge_merge(surge_id=surge.pk, lead_id=members[0].pk, actor=staff.supervisor)
    assert len(result.merged) == 4 and [pk for pk, _ in result.skipped] == [members[1].pk]
    assert HelpRequest.objects.get(pk=members[1].pk).state == State.HANDED_OVER


def test_merge_by_a_handler_is_refused_and_changes_nothing(staff, flagged):
    surge, members = flagged
    from dispatch.workflow import TransitionError

    with pytest.raises(TransitionError):
        surge_merge(surge_id=surge.pk, lead_id=members[0].pk, actor=staff.handler_a)
    surge.refresh_from_db()
    assert surge.state == Surge.State.OPEN
    assert not HelpRequest.objects.filter(state=State.DUPLICATE).exists()
    assert not Event.objects.filter(data__action="mark_duplicate").exists()


def test_new_members_after_a_merge_reopen_the_surge_for_the_same_lead(staff, flagged):
    surge, members = flagged
    surge_merge(surge_id=surge.pk, lead_id=members[0].pk, actor=staff.supervisor)
    burst(2, start=NOW + dt.timedelta(minutes=1))
    surges_detect(now=NOW + dt.timedelta(minutes=5))
    surge.refresh_from_db()
    assert (surge.state, surge.lead_id, surge.members.count()) == (Surge.State.OPEN, members[0].pk, 8)
    assert Surge.objects.count() == 1


def test_detection_reads_a_bounded_number_of_queries(staff, flagged, django_assert_max_num_queries):
    burst(3, start=NOW + dt.timedelta(minutes=1))
    with django_assert_max_num_queries(12):
        surges_detect(now=NOW + dt.timedelta(minutes=5))


def test_the_rule_counts_joins_like_members_at_their_own_time():
    rule = Rule(window_seconds=7200, weeks=4, threshold=1e-3, min_size=5, floor=0.5)
    verdict = rule.judge(ages=[600, 900, 1200], join_ages=[60, 120, 300, 5000], past={})
    # Half an hour holds the requests and three of the joins (6); two hours the older join too (7),
    # against the same floor: the most improbable scale wins.
    assert (verdict.seconds, verdict.n, verdict.joins) == (7200, 7, 4)
    assert verdict.tail == pytest.approx(predictive_tail(7, 2, 4)) and verdict.flagged
    short = rule.judge(ages=[600, 900, 1200], join_ages=[60, 120], past={s: [100] * 8 for s in rule.scales})
    assert (short.seconds, short.n, short.joins) == (1800, 5, 2)


def test_joins_come_only_from_registered_sources(monkeypatch):
    from dispatch import joins

    monkeypatch.setattr(joins, "_SOURCES", [])
    assert joins.joins_of(request_ids=[1, 2]) == {}  # no source, no query
    seen = {}

    def source(*, request_ids, since, until):
        seen.update(ids=request_ids, since=since, until=until)
        return {1: [NOW, NOW - dt.timedelta(minutes=1)]}

    joins.joins_source_register(times=source, per_problem=dict)
    joins.joins_source_register(times=source, per_problem=dict)  # idempotent: ready() may run twice
    assert joins.joins_of(request_ids=[1, 2], since=NOW - dt.timedelta(hours=1)) == {
        1: [NOW - dt.timedelta(minutes=1), NOW]
    }
    assert seen == {"ids": [1, 2], "since": NOW - dt.timedelta(hours=1), "until": None}
    assert joins.join_counts(request_ids=[1, 2]) == {1: 2}


def test_a_text_joins_a_group_when_it_reads_like_a_third_of_it_not_one_member():
    from dispatch.similar import THRESHOLD
    from dispatch.surges.rule import Item, groups_of
    from dispatch.textsim import Probe

    water = [  # four wordings of one water cut, each alike at least one earlier
        ("家里没水", "住在嵩山路，今天突然没水了，做饭洗漱都不行，请问什么时候恢复供水？"),
        ("停水没有通知", "嵩山路这边停水没有任何通知，老人孩子在家很不方便。"),
        ("请尽快恢复供水", "嵩山路停水已经半天，家里一点储备水都没有，希望尽快恢复。"),
        ("小区没水", "嵩山路小区没水了，楼上楼下都一样，请帮忙问问。"),
    ]
    drain = ("下水道堵塞", "嵩山路小区下水道堵了，污水漫到路面上。")  # alike the last wording only
    probe = Probe.of(*drain)
    assert [probe.similarity(t, c) >= THRESHOLD for t, c in water] == [False, False, False, True]
    items = [Item(pk=i, title=t, head=c, cell=None, age=600 - i) for i, (t, c) in enumerate([*water, drain])]
    groups = groups_of(items, threshold=THRESHOLD)
    assert sorted(len(g.members) for g in groups) == [1, 4]
    assert next(g for g in groups if len(g.members) == 1).pks == [len(water)]
