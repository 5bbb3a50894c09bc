"""Nothing of a request whose citizen did not consent reaches the board, its feeds or the API;
nothing personal of one who did.

Every keyless output of the board is read: the list, a search for its words, its page, the
look-alike list at intake, both Atom feeds, and Open311's GET requests (list and by id).
"""

from decimal import Decimal

import pytest

from board import services
from requests_app import services as request_services
from requests_app.models import Event

pytestmark = pytest.mark.django_db

NAME, PHONE, ADDRESS = "欧阳娜娜", "13912340000", "金水路88号院3单元"
LAT, LON = Decimal("34.757123"), Decimal("113.665432")
SECRET_CONTENT = "欧阳娜娜反映：金水路88号院3单元停水三天，电话13912340000，家里有老人。"
INTERNAL_NOTE = "内部备注：该市民此前多次来电"


def _outputs(client, ticket_number: str, words: str) -> dict[str, str]:
    """Every keyless output that could carry the request, as text."""
    out = {
        "board": client.get("/board/"),
        "search": client.get("/board/", {"q": words}),
        "district": client.get("/board/", {"district": "jinshui"}),
        "similar": client.post("/board/similar/", {"title": words, "content": SECRET_CONTENT}),
        "feed": client.get("/board/feed/"),
        "district feed": client.get("/board/feed/jinshui/"),
        "open311 list": client.get("/open311/v2/requests.json"),
        "open311 by id": client.get(f"/open311/v2/requests/{ticket_number}.json"),
        "detail": client.get(f"/board/{ticket_number}/"),
    }
    texts = {name: r.content.decode() for name, r in out.items()}
    if out["open311 by id"].status_code == 404:  # the error echoes the id asked for, as for any unknown id
        texts["open311 by id"] = texts["open311 by id"].replace(ticket_number, "<asked>")
    return texts


def _request(resolved_consented, publish_consent: bool):
    req = resolved_consented(
        name=NAME, phone=PHONE, address=ADDRESS, latitude=LAT, longitude=LON, title="停水三天", content=SECRET_CONTENT
    )
    if not publish_consent:
        type(req).objects.filter(pk=req.pk).update(publish_consent=False, publish_consent_at=None)
        req.refresh_from_db()
    Event.objects.create(request=req, kind=Event.Kind.NOTE, message="内部记录", note=INTERNAL_NOTE, is_public=False)
    return req


def test_nothing_of_a_request_without_consent_is_published(client, resolved_consented, publish, staff):
    visible = publish(
        resolved_consented(title="路灯不亮", content="经三路路灯不亮一周。"), reply="路灯已修复。"
    )  # the outputs work
    req = _request(resolved_consented, publish_consent=False)
    with pytest.raises(services.PublicationRefused):
        services.publication_approve(help_request_id=req.pk, actor=staff.dispatcher, title="停水三天", content="停水")
    outputs = _outputs(client, req.ticket_number, "停水")
    assert visible.ticket_number in outputs["board"] and visible.ticket_number in outputs["feed"]
    assert visible.ticket_number in outputs["open311 list"]
    for name, text in outputs.items():
        for secret in (req.ticket_number, "停水三天", NAME, PHONE, ADDRESS, INTERNAL_NOTE, "已协调恢复供水"):
            assert secret not in text, (name, secret)


def test_consent_alone_publishes_nothing_before_approval(client, resolved_consented):
    req = _request(resolved_consented, publish_consent=True)
    for name, text in _outputs(client, req.ticket_number, "停水").items():
        assert req.ticket_number not in text and "停水三天" not in text, name


def test_a_consented_approved_request_shows_nothing_personal(client, resolved_consented, publish):
    req = _request(resolved_consented, publish_consent=True)
    publish(req, reply="供水公司已抢修，当日恢复供水。")
    outputs = _outputs(client, req.ticket_number, "停水")
    for name in ("board", "search", "district", "feed", "district feed", "open311 list", "open311 by id", "detail"):
        assert req.ticket_number in outputs[name], name
    assert "供水公司已抢修" in outputs["detail"] and "停水三天" in outputs["detail"]
    for name, text in outputs.items():
        for secret in (
            NAME,
            "欧阳",
            PHONE,
            "1391234",
            ADDRESS,
            "88号院",
            INTERNAL_NOTE,
            "已协调恢复供水",
            "34.757123",
            "113.665432",
        ):
            assert secret not in text, (name, secret)
    # The board shows no point at all, not even the rounded one the API gives.
    for name in ("board", "detail", "feed"):
        assert "34.757" not in outputs[name] and "113.665" not in outputs[name], name


def test_a_withdrawn_consent_takes_the_request_off_every_output(client, resolved_consented, publish):
    req = _request(resolved_consented, publish_consent=True)
    publish(req, reply="供水公司已抢修，当日恢复供水。")
    assert req.ticket_number in _outputs(client, req.ticket_number, "停水")["open311 list"]
    request_services.request_publish_consent_set(help_request=req, consent=False)
    for name, text in _outputs(client, req.ticket_number, "停水").items():
        for secret in (req.ticket_number, "停水三天", "供水公司已抢修", NAME, PHONE):
            assert secret not in text, (name, secret)
