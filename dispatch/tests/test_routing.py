"""The 权责清单 and the routing suggestion at 交单: rules, history, the record, the admin form."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from dispatch import routing
from dispatch.models import ResponsibilityRule, RoutingRecord, Unit
from dispatch.reference_data import RESPONSIBILITY_RULES, responsibility_rules_seed
from dispatch.routing_eval import routing_evaluate
from dispatch.tests import factories
from dispatch.tests.data.labelled import duplicate_pairs, routing_set
from requests_app.models import State
from requests_app.tests.factories import HelpRequestFactory, category, district

pytestmark = pytest.mark.django_db


def _unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


def _rule(*, cat: str | None = None, dist: str | None = None, keywords: str = "", lead: str, assists=()):
    rule = ResponsibilityRule.objects.create(
        category=category(cat) if cat else None,
        district=district(dist) if dist else None,
        keywords=keywords,
        lead_unit=_unit(lead),
    )
    rule.assist_units.set([_unit(a) for a in assists])
    return rule


def _handed_over(staff, unit: Unit, **kwargs):
    return factories.request_in_state(
        State.HANDED_OVER,
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler_a,
        supervisor_user=staff.supervisor,
        lead=unit,
        **kwargs,
    )


def test_the_most_specific_rule_wins_and_says_why(staff):
    _rule(cat="jiaotong", lead="郑州市交通运输局")
    _rule(cat="jiaotong", dist="jinshui", lead="金水区人民政府", assists=["郑州市公安局"])
    _rule(cat="jiaotong", keywords="红绿灯 信号灯", lead="郑州市公安局")
    req = HelpRequestFactory(category=category("jiaotong"), district=district("jinshui"), title="公交站牌倒了")
    suggestion = routing.routing_suggest(help_request=req)
    assert suggestion.source == RoutingRecord.Source.RULE
    assert suggestion.top_unit_id == _unit("金水区人民政府").pk
    assert suggestion.assist_unit_ids == [_unit("郑州市公安局").pk]
    assert suggestion.reason == "规则：交通 × 金水区"

    # Keywords are more specific than a district; another district falls back to the channel's rule.
    lights = HelpRequestFactory(category=category("jiaotong"), district=district("jinshui"), title="路口红绿灯坏了")
    assert routing.routing_suggest(help_request=lights).reason == "规则：交通 × 「红绿灯、信号灯」"
    elsewhere = HelpRequestFactory(category=category("jiaotong"), district=district("erqi"), title="公交站牌倒了")
    assert routing.routing_suggest(help_request=elsewhere).top_unit_id == _unit("郑州市交通运输局").pk


def test_inactive_rules_and_rules_of_inactive_units_are_ignored(staff):
    rule = _rule(cat="jiaoyu", lead="郑州市教育局")
    req = HelpRequestFactory(category=category("jiaoyu"))
    rule.is_active = False
    rule.save()
    assert routing.routing_suggest(help_request=req).rule is None
    rule.is_active = True
    rule.save()
    Unit.objects.filter(pk=rule.lead_unit_id).update(is_active=False)
    assert routing.routing_suggest(help_request=req).rule is None


def test_without_a_rule_history_suggests_three_units_with_their_share(staff):
    water, heat = _unit("郑州市城市管理局"), _unit("金水区人民政府")
    for _ in range(3):
        _handed_over(staff, water, title="小区停水三天")
    _handed_over(staff, heat, title="小区垃圾没人清运")
    _handed_over(staff, _unit("郑州市民政局"), title="低保申请")
    # Not counted: another channel, and a unit that returned the request.
    _handed_over(staff, _unit("郑州市教育局"), title="小区停水三天", category=category("jiaoyu"))
    factories.request_in_state(
        State.RETURNED,
        dispatcher_user=staff.dispatcher,
        handler_user=factories.handler(_unit("郑州市公安局")),
        supervisor_user=staff.supervisor,
        lead=_unit("郑州市公安局"),
        title="小区停水三天",
    )
    req = HelpRequestFactory(title="小区突然停水")
    suggestion = routing.routing_suggest(help_request=req)
    assert suggestion.source == RoutingRecord.Source.HISTORY
    assert [c.unit_id for c in suggestion.candidates][0] == water.pk
    assert len(suggestion.candidates) == 3
    assert _unit("郑州市教育局").pk not in [c.unit_id for c in suggestion.candidates]
    assert _unit("郑州市公安局").pk not in [c.unit_id for c in suggestion.candidates]
    assert 0.5 < suggestion.candidates[0].share <= 1
    assert sum(c.share for c in suggestion.candidates) == pytest.approx(1.0)
    assert suggestion.basis == 5
    assert "5" in suggestion.reason


def test_history_only_looks_back_from_the_request(staff):
    req = HelpRequestFactory(title="小区停水三天")
    _handed_over(staff, _unit("郑州市城市管理局"), title="小区停水三天")  # submitted later
    suggestion = routing.routing_suggest(help_request=req)
    assert suggestion.source == RoutingRecord.Source.NONE
    assert suggestion.candidates == []
    assert suggestion.reason == "无匹配规则，也无同类交办记录"


def test_hand_over_records_the_suggestion_and_the_choice(staff):
    _rule(cat="minsheng", keywords="停水", lead="郑州市城市管理局")
    first = factories.request_in_state(
        State.LISTED,
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler_a,
        supervisor_user=staff.supervisor,
        lead=staff.unit_a,
        title="小区停水三天",
    )
    routing.request_hand_over_routed(request_id=first.pk, actor=staff.dispatcher, unit=_unit("郑州市城市管理局"))
    second = factories.request_in_state(
        State.LISTED,
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler_a,
        supervisor_user=staff.supervisor,
        lead=staff.unit_a,
        title="小区停水三天",
    )
    routing.request_hand_over_routed(request_id=second.pk, actor=staff.dispatcher, unit=staff.unit_a)
    records = {r.request_id: r for r in RoutingRecord.objects.all()}
    assert records[first.pk].rank == 1
    assert records[first.pk].source == "rule"
    assert records[first.pk].suggested == [{"unit": _unit("郑州市城市管理局").pk, "share": 1.0}]
    assert records[second.pk].rank is None
    assert records[second.pk].chosen_unit == staff.unit_a
    assert records[second.pk].chosen_by == staff.dispatcher
    second.refresh_from_db()
    assert second.state == State.HANDED_OVER


def test_a_refused_hand_over_records_nothing(staff):
    req = HelpRequestFactory()  # submitted: must be listed first
    with pytest.raises(routing.workflow.TransitionError):
        routing.request_hand_over_routed(request_id=req.pk, actor=staff.dispatcher, unit=staff.unit_a)
    assert not RoutingRecord.objects.exists()


def test_the_hand_over_form_preselects_the_suggested_unit(client, staff, django_assert_max_num_queries):
    _rule(cat="jiaotong", dist="jinshui", lead="金水区人民政府", assists=["郑州市公安局"])
    req = factories.request_in_state(
        State.LISTED,
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler_a,
        supervisor_user=staff.supervisor,
        lead=staff.unit_a,
        category=category("jiaotong"),
        title="路口红绿灯故障",
    )
    client.force_login(staff.dispatcher)
    url = reverse("admin:requests_app_helprequest_change", args=[req.pk])
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "规则：交通 × 金水区" in html
    unit_select = re.search(r'<select name="hand_over-unit".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{_unit("金水区人民政府").pk}" selected>', unit_select)
    assists = re.search(r'<select name="hand_over-assist_units".*?</select>', html, re.S).group(0)
    assert re.search(rf'<option value="{_unit("郑州市公安局").pk}" selected>', assists)

    # The dispatcher may choose another unit; the choice is recorded.
    action = reverse("admin:requests_app_helprequest_action", args=[req.pk, "hand_over"])
    client.post(action, {"hand_over-unit": staff.unit_c.pk, "hand_over-instructions": ""})
    record = RoutingRecord.objects.get(request=req)
    assert (record.chosen_unit, record.rank, record.source) == (staff.unit_c, None, "rule")


def test_history_choices_are_listed_with_their_share(client, staff):
    for _ in range(2):
        _handed_over(staff, _unit("郑州市城市管理局"), title="小区停水三天")
    _handed_over(staff, staff.unit_a, title="垃圾没人清运")
    req = factories.request_in_state(
        State.LISTED,
        dispatcher_user=staff.dispatcher,
        handler_user=staff.handler_a,
        supervisor_user=staff.supervisor,
        lead=staff.unit_a,
        title="停水两天了",
    )
    client.force_login(staff.dispatcher)
    html = client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk])).content.decode()
    hint = re.search(r'<div class="routing-hint".*?</div>', html, re.S).group(0)
    assert "据3件同类求助件的交办记录" in hint
    assert re.search(r"郑州市城市管理局 · \d+%", hint)
    assert re.search(r"金水区人民政府 · \d+%", hint)


def test_the_catalogue_is_kept_by_dispatchers(client, staff):
    add = reverse("admin:dispatch_responsibilityrule_add")
    client.force_login(staff.handler_a)
    assert client.get(add).status_code == 403
    client.force_login(staff.supervisor)
    assert client.get(reverse("admin:dispatch_responsibilityrule_changelist")).status_code == 200
    assert client.get(add).status_code == 403
    client.force_login(staff.dispatcher)
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {"category": category("jiaoyu").pk, "keywords": "", "lead_unit": _unit("郑州市教育局").pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert ResponsibilityRule.objects.get().lead_unit == _unit("郑州市教育局")


def test_a_rule_needs_a_channel_or_keywords(staff):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsibilityRule.objects.create(lead_unit=staff.unit_a)


def test_demo_rules_seed_once_and_name_real_units(db):
    assert responsibility_rules_seed(apps) == len(RESPONSIBILITY_RULES)
    assert responsibility_rules_seed(apps) == 0
    assert ResponsibilityRule.objects.count() == len(RESPONSIBILITY_RULES)


def test_labelled_sets_are_big_enough():
    assert len(routing_set()) >= 200
    pairs = duplicate_pairs()
    assert sum(p["label"] for p in pairs) >= 100
    assert sum(not p["label"] for p in pairs) >= 100


def test_accuracy_on_held_out_history_and_the_command(staff, capsys):
    responsibility_rules_seed(apps)
    for row in routing_set(size=40):
        _handed_over(
            staff,
            _unit(row["unit"]),
            title=row["title"],
            content=row["content"],
            category=category(row["category"]),
            district=district(row["district"]),
        )
    accuracy = routing_evaluate(holdout=0.25)
    assert accuracy.total == 10
    assert accuracy.top3 >= accuracy.top1 >= 5  # the rules alone cover most of the labelled kinds
    call_command("routing_accuracy", "--holdout", "0.25")
    out = capsys.readouterr().out
    assert "held-out, rules then history: n=10" in out
    assert "recorded hand-overs" in out
