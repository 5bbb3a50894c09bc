"""The citizen's paths through the form with the knowledge base: answers, 直办, redirection, emergency."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from dispatch.tests import factories as staff_factories
from dispatch.tests.factories import handler, request_in_state, unit
from dispatch.workflow import transition_apply
from helpdesk.tests.pages import html_of
from kb.models import Answer, DirectAnswer
from kb.roles import KB_EDITOR, kb_roles_ensure
from kb.tests import factories
from requests_app.models import HelpRequest
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db

SUBMIT = "/help/new/"
ADVICE = "/help/new/advice/"


def test_without_javascript_the_answers_are_a_step_after_the_first_submit(client):
    water = factories.answer()
    data = valid_data(title="小区停水三天了", content="我们楼从周一开始停水，一直没有来水，也没有通知。")
    html = html_of(client.post(SUBMIT, data), 'id="answer-suggestions"', 'id="advice-held"')
    assert HelpRequest.objects.count() == 0
    assert water.question in html and "拨打供水热线 <strong>0371-67449999</strong>" in html
    # Everything typed is kept, and the form says the advice was seen.
    assert 'value="小区停水三天了"' in html and "我们楼从周一开始停水" in html and 'value="138 1234 5678"' in html
    assert re.search(r'name="advice_seen" value="(1|True)"', html)
    # The second submit goes through.
    second = {**data, "advice_seen": "1"}
    response = client.post(SUBMIT, second)
    assert response.status_code == 302 and HelpRequest.objects.count() == 1


def test_this_solved_my_problem_records_a_direct_answer_without_a_ticket(client):
    water = factories.answer()
    response = client.post(reverse("kb:solved"), {"answer": water.pk}, follow=True)
    html = html_of(response, 'id="solved-thanks"', water.question)
    assert "本次未生成求助件" in html
    record = DirectAnswer.objects.get()
    assert (record.answer_id, record.channel_id) == (water.pk, water.channel_id)
    assert HelpRequest.objects.count() == 0


def test_a_draft_cannot_be_counted_or_shown(client):
    draft = factories.answer(published=False)
    assert client.post(reverse("kb:solved"), {"answer": draft.pk}).status_code == 404
    assert client.get(reverse("kb:answer", args=[draft.pk])).status_code == 404
    assert DirectAnswer.objects.count() == 0


def test_the_fragment_endpoint_needs_the_csrf_token():
    factories.answer()
    client = Client(enforce_csrf_checks=True)
    assert client.post(ADVICE, {"title": "小区停水了", "content": "什么时候来水"}).status_code == 403
    page = client.get(SUBMIT)
    token = page.cookies["csrftoken"].value
    response = client.post(ADVICE, {"title": "小区停水了", "content": "什么时候来水", "csrfmiddlewaretoken": token})
    html = html_of(response, 'id="answer-suggestions"')
    assert "<html" not in html and response["Cache-Control"] == "no-store"


def test_the_fragment_endpoint_is_rate_limited(client, settings):
    settings.RATELIMIT_ADVICE = "2/m"
    for _ in range(2):
        assert client.post(ADVICE, {"title": "停水"}).status_code == 200
    assert client.post(ADVICE, {"title": "停水"}).status_code == 429


EMERGENCY = {"title": "楼道里着火了", "content": "三楼楼道着火冒烟，老人被困在屋里出不来。"}


@pytest.mark.parametrize(
    "path",
    ["invalid form", "first submit", "fragment", "rate limited"],
)
def test_the_emergency_notice_comes_first_on_every_path(client, settings, path):
    factories.answer()
    factories.consumer_rule()
    data = valid_data(**EMERGENCY)
    if path == "invalid form":
        response = client.post(SUBMIT, {**{k: v for k, v in data.items() if k != "consent"}, "phone": "12"})
    elif path == "first submit":
        response = client.post(SUBMIT, data)
    elif path == "fragment":
        response = client.post(ADVICE, data)
    else:
        settings.RATELIMIT_SUBMIT = "0/m"
        response = client.post(SUBMIT, data)
    html = html_of(response, 'id="emergency-notice"', status=429 if path == "rate limited" else 200)
    assert 'href="tel:119"' in html and 'href="tel:110"' in html and 'href="tel:120"' in html
    # Before anything else on the page's content: the heading, then the notice.
    main = html.split("<main", 1)[1] if "<main" in html else html
    assert main.index('id="emergency-notice"') < min(
        [main.index(m) for m in ('id="request-form"', "answer-suggestions", "redirect-notice") if m in main],
        default=len(main),
    )
    assert HelpRequest.objects.count() == 0


def test_a_consumer_dispute_shows_12315_and_may_still_be_submitted(client):
    factories.consumer_rule()
    data = valid_data(title="网购的手机是假货商家不给退款", content="在某商城买的手机是假货，商家拒绝退货退款。")
    html = html_of(client.post(SUBMIT, data), "redirect-notice", 'id="advice-held"')
    assert 'href="tel:12315"' in html and "https://www.12315.cn/" in html and "您仍然可以在本平台提交求助" in html
    assert HelpRequest.objects.count() == 0
    assert client.post(SUBMIT, {**data, "advice_seen": "1"}).status_code == 302
    assert HelpRequest.objects.count() == 1


def test_a_form_with_nothing_to_advise_goes_straight_through(client):
    factories.answer("健康码变成黄码了怎么转绿码", keywords="黄码 转绿", channel="jiankangma")
    assert (
        client.post(SUBMIT, valid_data(title="路灯不亮", content="我们小区门口的路灯坏了一个月了。")).status_code == 302
    )


def test_direct_answers_per_channel_on_stats_and_the_dashboard(client):
    water = factories.answer()
    code = factories.answer("健康码变成黄码了怎么转绿码", keywords="黄码 转绿", channel="jiankangma")
    for a in (water, water, code):
        client.post(reverse("kb:solved"), {"answer": a.pk})
    html = html_of(client.get("/stats/"), 'id="figure-direct"')
    table = html.split('id="figure-direct"')[1].split("</table>")[0]
    assert "直办" in html
    assert re.search(r"<td>民生</td><td class=\"text-end count\">2</td>", table)
    assert re.search(r"<td>健康码问题</td><td class=\"text-end count\">1</td>", table)
    assert 'class="text-end total">3<' in table

    client.force_login(staff_factories.supervisor(username="kb_sup"))
    html = html_of(client.get(reverse("admin:dispatch_dashboard")), 'id="figure-direct"')
    assert "直办" in html and 'class="text-end total">3<' in html


def test_an_editor_drafts_an_answer_from_a_resolved_request_and_a_person_approves_it(client):
    lead = unit()
    person = handler(lead, username="kb_h")
    req = request_in_state("accepted", lead=lead, handler_user=person, phone="13812345678", title="小区停水三天")
    transition_apply(
        request_id=req.pk, action="resolve", actor=person, result="已协调恢复供水，电话13812345678已回访。"
    )
    editor = staff_factories.supervisor(username="kb_editor")
    kb_roles_ensure()
    editor.groups.add(Group.objects.get(name=KB_EDITOR))
    client.force_login(editor)
    response = client.post(
        reverse("admin:requests_app_helprequest_changelist"),
        {"action": "draft_answer_from_requests", "_selected_action": [req.pk]},
    )
    draft = Answer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:kb_answer_change", args=[draft.pk])
    assert draft.state == Answer.State.DRAFT and "13812345678" not in draft.body and "已协调恢复供水" in draft.body
    response = client.post(
        reverse("admin:kb_answer_changelist"), {"action": "approve_selected", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.state == Answer.State.PUBLISHED and draft.approved_by == editor


def test_staff_without_the_publish_permission_cannot_approve(client):
    draft = factories.answer(published=False)
    user = staff_factories.StaffUserFactory(username="kb_plain")
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_answer", "change_answer"]))
    client.force_login(user)
    client.post(reverse("admin:kb_answer_changelist"), {"action": "approve_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.state == Answer.State.DRAFT


def test_a_weak_suggestion_is_shown_as_the_citizen_types_but_never_holds_the_submit(client):
    # One everyday word ("老人") shared with an answer: worth a glance while typing, not a detour.
    factories.answer("老人没有智能手机怎么申领健康码", keywords="老人 没有智能手机", channel="jiankangma")
    text = {
        "title": "路灯坏了一个月",
        "content": "小区门口的路灯坏了一个多月，晚上出行很不方便，老人摔倒过，请尽快修复。",
    }
    html = html_of(client.post(ADVICE, text), 'id="answer-suggestions"')
    assert "老人没有智能手机怎么申领健康码" in html
    response = client.post(SUBMIT, valid_data(**text))
    assert response.status_code == 302 and HelpRequest.objects.count() == 1
