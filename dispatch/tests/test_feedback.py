"""回访: the citizen's rating, the reopen rule and its limit, the staff callback, and the automatic close."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from dispatch.feedback import feedback_record, requests_autoclose
from dispatch.workflow import CITIZEN, SYSTEM, TransitionError, transition_apply
from requests_app.models import Deadline, Event, Feedback, HelpRequest, State
from requests_app.selectors import track_token_for

pytestmark = pytest.mark.django_db


def _feedback_deadline(req):
    return Deadline.objects.get(request=req, kind=Deadline.Kind.FEEDBACK)


def test_satisfied_rating_closes_and_meets_the_feedback_promise(make_request):
    req = make_request(State.RESOLVED)
    result = feedback_record(request_id=req.pk, actor=CITIZEN, rating="satisfied", comment="谢谢")
    assert result.state == State.CLOSED
    fb = Feedback.objects.get(request=req)
    assert (fb.round, fb.rating, fb.channel, fb.recorded_by) == (0, "satisfied", "online", None)
    assert _feedback_deadline(req).met_at is not None
    rate, close = Event.objects.filter(request=req).order_by("-created_at", "-id")[:2][::-1]
    assert (rate.kind, rate.actor, rate.actor_label, rate.is_public) == ("feedback", None, "市民", True)
    assert rate.message == "市民评价：满意" and rate.note == "谢谢"
    assert (close.to_state, close.actor_label, close.data["auto"]) == (State.CLOSED, "系统", "rated")


def test_unsatisfied_reopens_until_the_limit_then_the_supervisor_decides(make_request, staff, settings):
    settings.MAX_REOPENS = 2
    req = make_request(State.RESOLVED)
    for expected_count in (1, 2):
        result = feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied", comment="还是没水")
        assert (result.state, result.reopen_count) == (State.REOPENED, expected_count)
        reopen = Event.objects.filter(request=req).latest("created_at", "id")
        assert reopen.data["action"] == "reopen" and reopen.actor_label == "系统" and "还是没水" in reopen.note
        transition_apply(request_id=req.pk, action="resolve", actor=staff.handler_a, result="再次处理")
    # The third unsatisfied rating: no more automatic rework, a supervisor decides.
    result = feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied")
    assert (result.state, result.reopen_count) == (State.RESOLVED, 2)
    rate = Event.objects.filter(request=req).latest("created_at", "id")
    assert rate.data["needs_decision"] is True and "转督办员决定" in rate.message
    assert Feedback.objects.filter(request=req).count() == 3
    # One rating per resolution.
    with pytest.raises(TransitionError, match="已经评价"):
        feedback_record(request_id=req.pk, actor=CITIZEN, rating="satisfied")
    # The system may not close an unsatisfied result; the supervisor may reopen beyond the limit.
    assert requests_autoclose(now=req.updated_at + dt.timedelta(days=30)) == 0
    with pytest.raises(TransitionError, match="督办员决定"):
        transition_apply(request_id=req.pk, action="close", actor=SYSTEM)
    transition_apply(request_id=req.pk, action="reopen", actor=staff.supervisor, reason="督办员决定再次重办")
    assert HelpRequest.objects.get(pk=req.pk).reopen_count == 3


def test_rating_is_refused_unless_resolved(make_request):
    req = make_request(State.ACCEPTED)
    with pytest.raises(TransitionError):
        feedback_record(request_id=req.pk, actor=CITIZEN, rating="satisfied")
    assert not Feedback.objects.filter(request=req).exists()


def test_citizen_rates_through_the_signed_link(client, make_request):
    req = make_request(State.RESOLVED)
    token = track_token_for(ticket_number=req.ticket_number)
    page = client.get(reverse("requests_app:track_token", args=[token]))
    assert b'id="feedback-form"' in page.content
    response = client.post(
        reverse("dispatch_public:feedback", args=[token]), {"rating": "unsatisfied", "comment": "没修好"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    content = page.content.decode()
    assert "重办" in content and "市民评价：不满意" in content and 'id="feedback-form"' not in content
    assert HelpRequest.objects.get(pk=req.pk).state == State.REOPENED


def test_number_and_phone_path_offers_the_form_and_bad_posts_change_nothing(client, make_request):
    req = make_request(State.RESOLVED, phone="13812345678")
    page = client.post(reverse("requests_app:track"), {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert b'id="feedback-form"' in page.content
    token = track_token_for(ticket_number=req.ticket_number)
    response = client.post(reverse("dispatch_public:feedback", args=[token]), {"rating": "great"}, follow=True)
    assert HelpRequest.objects.get(pk=req.pk).state == State.RESOLVED
    assert "alert-danger" in response.content.decode()
    assert client.post(reverse("dispatch_public:feedback", args=["forged"]), {"rating": "satisfied"}).status_code == 404
    assert client.get(reverse("dispatch_public:feedback", args=[token])).status_code == 405


def test_staff_callback_from_admin_records_the_answer_and_follows_the_rule(client, make_request, staff):
    req = make_request(State.RESOLVED)
    client.force_login(staff.supervisor)
    url = reverse("admin:requests_app_helprequest_action", args=[req.pk, "record_callback"])
    client.post(url, {"record_callback-rating": "basic", "record_callback-comment": "电话里说基本解决了"})
    req.refresh_from_db()
    assert req.state == State.CLOSED
    fb = Feedback.objects.get(request=req)
    assert (fb.channel, fb.rating, fb.recorded_by) == ("phone", "basic", staff.supervisor)
    assert _feedback_deadline(req).met_at is not None
    assert Event.objects.filter(request=req, message="电话回访，市民评价：基本满意").exists()


def test_callback_refused_after_an_online_rating_and_for_handlers(make_request, staff, settings):
    settings.MAX_REOPENS = 0
    req = make_request(State.RESOLVED)
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied")
    with pytest.raises(TransitionError, match="已经评价"):
        feedback_record(request_id=req.pk, actor=staff.dispatcher, rating="satisfied")
    other = make_request(State.RESOLVED)
    with pytest.raises(TransitionError, match="没有权限"):
        feedback_record(request_id=other.pk, actor=staff.handler_a, rating="satisfied")


def test_unrated_requests_close_automatically_after_the_configured_time(make_request, staff, settings):
    settings.FEEDBACK_AUTOCLOSE_SECONDS = 72 * 3600
    req = make_request(State.RESOLVED)
    rated = make_request(State.RESOLVED)
    settings.MAX_REOPENS = 0
    feedback_record(request_id=rated.pk, actor=CITIZEN, rating="unsatisfied")  # waits for a supervisor
    resolved_at = HelpRequest.objects.get(pk=req.pk).resolved_at
    assert requests_autoclose(now=resolved_at + dt.timedelta(hours=71)) == 0
    assert requests_autoclose(now=resolved_at + dt.timedelta(hours=73)) == 1
    req.refresh_from_db()
    assert req.state == State.CLOSED and req.closed_at == resolved_at + dt.timedelta(hours=73)
    event = Event.objects.filter(request=req).latest("created_at", "id")
    assert event.message == "办结后72小时内未收到评价，系统自动销号"
    assert (event.actor, event.actor_label, event.is_public, event.data["auto"]) == (None, "系统", True, "unrated")
    # Nobody fed back: the 1-day promise is not marked met by the automatic close.
    assert _feedback_deadline(req).met_at is None
    # Idempotent: a second run (or a second beat) closes nothing more.
    assert requests_autoclose(now=resolved_at + dt.timedelta(hours=74)) == 0
    assert HelpRequest.objects.get(pk=rated.pk).state == State.RESOLVED


def test_autoclose_command_and_time_travel(make_request, settings, time_machine):
    settings.FEEDBACK_AUTOCLOSE_SECONDS = 3600
    req = make_request(State.RESOLVED)
    call_command("close_unrated_requests")
    assert HelpRequest.objects.get(pk=req.pk).state == State.RESOLVED
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), tick=False)
    call_command("close_unrated_requests")
    assert HelpRequest.objects.get(pk=req.pk).state == State.CLOSED


def test_rework_tells_the_lead_unit_and_a_rating_past_the_limit_tells_the_supervisors(make_request, staff, settings):
    from dispatch.models import Notification

    settings.MAX_REOPENS = 1
    for user, email in ((staff.handler_a, "hand_a@zz.gov.cn"), (staff.supervisor, "sup@zz.gov.cn")):
        user.email = email
        user.save(update_fields=["email"])
    req = make_request(State.RESOLVED)
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied", comment="还是没水")
    rework = Notification.objects.filter(request=req, kind="reopened").first()
    assert set(Notification.objects.filter(request=req, kind="reopened").values_list("recipient", flat=True)) == {
        "hand_a@zz.gov.cn",
        "sup@zz.gov.cn",
    }
    assert "重办" in rework.subject and "还是没水" in rework.body

    transition_apply(request_id=req.pk, action="resolve", actor=staff.handler_a, result="再次处理")
    feedback_record(request_id=req.pk, actor=CITIZEN, rating="unsatisfied")  # past the limit
    decision = Notification.objects.get(request=req, kind="decision")
    assert decision.recipient == "sup@zz.gov.cn" and "请督办员决定" in decision.body
