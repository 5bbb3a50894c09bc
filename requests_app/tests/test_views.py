import re
import uuid

import pytest
from django.urls import reverse

from helpdesk.tests.pages import html_of
from requests_app.models import HelpRequest
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


def test_home_shows_channels_help_button_and_totals(client):
    HelpRequestFactory()
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("一帮到底", "我要求助", "查看进度", "民生", "交通", "教育", "医疗", "消费", "政务", "寻医买药"):
        assert text in html
    assert re.search(r'id="total-received">1<', html)
    assert re.search(r'id="total-resolved">0<', html)


def test_citizen_submits_sees_receipt_and_follows_progress(client):
    response = client.get("/help/new/")
    assert response.status_code == 200
    token = response.context["form"].initial["submit_token"]
    response = client.post("/help/new/", valid_data(name="张三丰", submit_token=str(token)), follow=True)
    assert response.status_code == 200
    req = HelpRequest.objects.get()
    html = response.content.decode()
    # Receipt: ticket number, promises with clock times, QR code, progress link.
    assert f'id="ticket-number">{req.ticket_number}<' in html
    assert "1小时内回应联系" in html and "7小时内落实解决" in html and "1天内反馈结果" in html
    assert "<svg" in html
    link = reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
    assert link in html
    # Masked personal data only.
    assert "张三丰" not in html and "13812345678" not in html
    assert "张**" in html and "138****5678" in html

    # Lookup by number + phone (typed differently) shows the progress page.
    response = client.post("/help/track/", {"ticket_number": req.ticket_number.lower(), "phone": "+86 138-1234-5678"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "办理进度" in html and req.ticket_number in html and "市民提交求助" in html
    assert "138****5678" in html and "13812345678" not in html and "张三丰" not in html

    # The signed link opens the same page without a phone.
    response = client.get(link)
    assert response.status_code == 200
    assert req.ticket_number in response.content.decode()


def test_resubmitting_the_same_form_creates_one_request(client):
    data = valid_data(submit_token=str(uuid.uuid4()))
    first = client.post("/help/new/", data)
    second = client.post("/help/new/", data)
    assert HelpRequest.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_wrong_phone_and_unknown_number_get_the_same_answer(client):
    req = HelpRequestFactory(phone="13812345678")
    wrong_phone = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13900000000"})
    unknown = client.post("/help/track/", {"ticket_number": "ZZ20990101-9999", "phone": "13812345678"})
    assert wrong_phone.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|value="[^"]*"', "", r.content.decode())  # noqa: E731
    assert strip(wrong_phone) == strip(unknown)
    assert "没有找到与该编号和电话匹配的求助" in wrong_phone.content.decode()


def test_a_forged_token_is_not_found(client):
    req = HelpRequestFactory()
    assert client.get(f"/help/track/{req.ticket_number}:forged/").status_code == 404
    assert client.get(f"/help/receipt/{req.ticket_number}:forged/").status_code == 404


def test_internal_events_never_show_on_the_progress_page(client):
    from requests_app.models import Event

    req = HelpRequestFactory()
    Event.objects.create(request=req, kind=Event.Kind.NOTE, message="内部备注：户主有纠纷", is_public=False)
    response = client.get(reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)]))
    html = html_of(response, req.ticket_number, "市民提交求助")
    assert "内部备注" not in html


def test_lookup_and_progress_pages_use_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    req = HelpRequestFactory()
    link = reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
    with django_assert_max_num_queries(3):
        response = client.get(link)
    html_of(response, req.ticket_number, "市民提交求助")


def test_submissions_beyond_the_rate_limit_are_refused_with_input_kept(client, settings):
    settings.RATELIMIT_SUBMIT = "2/h"
    for _ in range(2):
        assert client.post("/help/new/", valid_data()).status_code == 302
    response = client.post("/help/new/", valid_data(title="第三次提交"))
    assert response.status_code == 429
    html = response.content.decode()
    assert "提交过于频繁" in html and "第三次提交" in html
    assert HelpRequest.objects.count() == 2


def test_lookups_beyond_the_rate_limit_are_refused(client, settings):
    settings.RATELIMIT_LOOKUP = "3/m"
    req = HelpRequestFactory(phone="13812345678")
    for _ in range(3):
        client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    response = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert response.status_code == 429
    assert "查询过于频繁" in response.content.decode()


def test_a_ticket_number_locks_after_repeated_wrong_phones(client, settings):
    settings.LOOKUP_MAX_FAILURES = 3
    req = HelpRequestFactory(phone="13812345678")
    for _ in range(3):
        wrong = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13900000000"})
        assert "没有找到" in wrong.content.decode()
    locked = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.content.decode()
    # An unknown number locks the same way, so the lock says nothing about existence.
    for _ in range(3):
        client.post("/help/track/", {"ticket_number": "ZZ20990101-0001", "phone": "13812345678"})
    unknown = client.post("/help/track/", {"ticket_number": "ZZ20990101-0001", "phone": "13812345678"})
    assert unknown.status_code == 429
    # Other numbers and the signed link still work.
    other = HelpRequestFactory(phone="13700000000")
    assert (
        other.ticket_number
        in client.post("/help/track/", {"ticket_number": other.ticket_number, "phone": "13700000000"}).content.decode()
    )
    assert (
        client.get(
            reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
        ).status_code
        == 200
    )


def test_submission_runs_only_the_inserts_once_the_choices_are_cached(client, django_assert_max_num_queries):
    from requests_app.selectors import active_choices

    active_choices()
    data = valid_data(submit_token=str(uuid.uuid4()))
    # Counter upsert, request, deadlines, event (+ the test transaction's savepoint pair),
    # and the intake advisers' reads on a first submit (kb: redirect rules, the answer index).
    with django_assert_max_num_queries(8):
        response = client.post("/help/new/", data)
    assert response.status_code == 302
    assert HelpRequest.objects.count() == 1


def test_a_submit_after_the_advice_was_seen_runs_only_the_inserts(client, django_assert_max_num_queries):
    from requests_app.selectors import active_choices

    active_choices()
    data = valid_data(submit_token=str(uuid.uuid4()), advice_seen="True")
    with django_assert_max_num_queries(6):
        response = client.post("/help/new/", data)
    assert response.status_code == 302
    assert HelpRequest.objects.count() == 1


def test_submit_form_renders_without_queries_once_the_choices_are_cached(client, django_assert_num_queries):
    from requests_app.selectors import active_choices

    active_choices()
    with django_assert_num_queries(0):
        response = client.get("/help/new/")
    assert response.status_code == 200


def test_lookup_by_number_and_phone_uses_three_queries(client, django_assert_max_num_queries):
    req = HelpRequestFactory(phone="13812345678")
    with django_assert_max_num_queries(3):
        response = client.post("/help/track/", {"ticket_number": req.ticket_number, "phone": "13812345678"})
    assert req.ticket_number in response.content.decode()


@pytest.mark.parametrize("category", ["²", "99999999999999999999"])
def test_a_category_that_only_looks_like_a_number_gets_the_form_back_not_a_500(client, category):
    # Hypothesis found "²": str.isdigit() says yes, int() says no.
    from requests_app.tests.test_forms import valid_data

    response = client.post("/help/new/", valid_data(category=category))
    assert response.status_code == 200
    assert "category" in response.context["form"].errors
    assert 'name="title"' in response.content.decode()  # the form page again, with what was typed
