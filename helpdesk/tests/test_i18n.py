"""The English translation: pages switch language as browsers ask, Chinese stays the default, and the
catalog is complete (every entry translated, none fuzzy, the shipped .mo matching the .po).

When a completeness test fails: run `make messages`, translate the new entries in
locale/en/LC_MESSAGES/django.po, run `make messages` again and commit the .po and the .mo.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import loader
from django.urls import reverse
from django.utils import translation

from dispatch.tests import factories as staff_factories
from requests_app.models import Event, State
from requests_app.selectors import track_token_for
from requests_app.tests.factories import HelpRequestFactory
from requests_app.tests.test_forms import valid_data

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHANGELIST = reverse("admin:requests_app_helprequest_changelist")


@pytest.fixture(autouse=True)
def _default_language_after():
    """LocaleMiddleware leaves the request's language active in the thread: do not leak English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _content_language(response) -> str:
    return response.headers.get("Content-Language", "")


# --- Pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_is_chinese_for_a_browser_that_names_no_language(client):
    html = _html(client.get("/"))
    assert '<html lang="zh-hans">' in html
    for text in ("我要求助", "查看进度", "已接受信息", "1小时内回应联系"):
        assert text in html
    assert "Ask for help" not in html
    assert _content_language(client.get("/")) == "zh-hans"


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "en-GB"])
def test_home_is_english_when_the_browser_asks_for_english(client, accept):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    html = _html(response)
    assert _content_language(response) == "en"
    assert '<html lang="en">' in html
    for text in ("Ask for help", "Check progress", "Requests received", "Problems solved", "Help desk channels"):
        assert text in html
    for text in ("我要求助", "查看进度", "已接受信息"):
        assert text not in html
    # The switch in the footer offers the other language.
    assert 'value="zh-hans"' in html and "简体中文" in html


@pytest.mark.django_db
def test_chinese_browsers_get_chinese(client):
    html = _html(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8"))
    assert "我要求助" in html and "Ask for help" not in html


@pytest.mark.django_db
def test_the_language_switch_remembers_the_choice(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/help/track/"})
    assert response.status_code == 302 and response["Location"] == "/help/track/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = _html(client.get("/help/track/"))
    assert "Check progress" in html and "Ticket number" in html and "查询" not in html
    # The cookie wins over a Chinese browser, and switching back works the same way.
    assert "Ask for help" in _html(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我要求助" in _html(client.get("/", **EN))


@pytest.mark.django_db
def test_submit_form_errors_are_in_the_citizens_language(client):
    data = valid_data(name="", phone="12345")
    html = _html(client.post("/help/new/", data, **EN))
    assert "Not submitted. Please correct what is marked and submit again" in html
    assert "Please enter your name." in html
    assert "Please enter a valid mobile number" in html
    assert "I have read and agree to the privacy notice" in html
    assert "请填写姓名" not in html and "提交未成功" not in html

    html = _html(client.post("/help/new/", data))
    assert "提交未成功，请按提示修改后再提交" in html and "请填写姓名。" in html
    assert "Please enter your name." not in html


@pytest.mark.django_db
def test_progress_page_in_english_keeps_the_stored_timeline_text(client):
    req = HelpRequestFactory()
    url = reverse("requests_app:track_token", args=[track_token_for(ticket_number=req.ticket_number)])
    html = _html(client.get(url, **EN))
    for text in (
        "Progress",
        "Deadlines",
        "How it is being handled",
        "Contact within 1 hour",
        "Submitted",
        "In progress",
    ):
        assert text in html
    assert "办理进度" not in html and "时限" not in html
    # The timeline's messages are stored snapshots: shown as written.
    assert "市民提交求助" in html

    html = _html(client.get(url))
    assert "办理进度" in html and "1小时内回应联系" in html and "已提交" in html


@pytest.mark.django_db
def test_admin_changelist_and_change_view_in_english(client):
    dispatcher = staff_factories.dispatcher(username="disp_i18n")
    req = HelpRequestFactory()
    client.force_login(dispatcher)

    html = _html(client.get(CHANGELIST, **EN))
    for text in ("Help All the Way · Staff workbench", "Help requests", "Next step", "To list (dispatcher)"):
        assert text in html
    assert "下一步" not in html and "待列单" not in html

    html = _html(client.get(CHANGELIST))
    assert "一帮到底 问政帮办 · 工作台" in html and "下一步" in html and "待列单（交办员）" in html
    assert "Next step" not in html

    html = _html(client.get(reverse("admin:requests_app_helprequest_change", args=[req.pk]), **EN))
    assert "Available actions" in html and "Confirm: Hand over" not in html and "Confirm: List" in html


@pytest.mark.django_db
def test_the_dashboard_and_exports_speak_the_staff_members_language(client):
    import csv
    import io

    supervisor = staff_factories.supervisor(username="sup_i18n")
    HelpRequestFactory()
    client.force_login(supervisor)
    dashboard = reverse("admin:dispatch_dashboard")

    html = _html(client.get(dashboard, **EN))
    assert "Solved on time" in html and "Late now" in html
    assert "按时办结率" not in html
    assert "按时办结率" in _html(client.get(dashboard))

    export = client.get(reverse("admin:requests_app_helprequest_export", args=["csv"]), **EN)
    assert export.status_code == 200
    header = next(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert "Phone" in header and "联系电话" not in header
    units = client.get(reverse("admin:dispatch_dashboard_export", args=["csv"]), **EN)
    header = next(csv.reader(io.StringIO(b"".join(units.streaming_content).decode("utf-8-sig"))))
    assert "Satisfaction %" in header and "满意率%" not in header


@pytest.mark.django_db
def test_staff_working_in_english_still_write_the_timeline_in_chinese(client):
    dispatcher = staff_factories.dispatcher(username="disp_en")
    req = HelpRequestFactory()
    client.force_login(dispatcher)
    action = reverse("admin:requests_app_helprequest_action", args=[req.pk, "list"])
    response = client.post(action, {"list-category": req.category_id, "list-request_type": "help"}, **EN)
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == State.LISTED
    event = req.events.filter(kind=Event.Kind.TRIAGE).get()
    assert event.message == "平台已受理，列入办理清单"


@pytest.mark.django_db
def test_error_pages_follow_the_language(client):
    html = client.get("/no-such-page/", **EN).content.decode()
    assert "Page not found" in html and "Back to the home page" in html and "页面不存在" not in html
    assert "页面不存在" in client.get("/no-such-page/").content.decode()


def test_server_error_page_renders_without_a_request_in_either_language():
    html = loader.render_to_string("500.html")
    assert "系统繁忙" in html and '<html lang="zh-hans">' in html
    with translation.override("en"):
        html = loader.render_to_string("500.html")
    assert "The system is busy" in html and '<html lang="en">' in html and "系统繁忙" not in html


# --- The catalog --------------------------------------------------------------------


def test_every_catalog_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    assert len(po) > 300, "the catalog lost its entries: run `make messages`"
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {PO.name} (translate them, then `make messages`): {untranslated}"
    assert not fuzzy, f"fuzzy in {PO.name} (check them, drop the flag, then `make messages`): {fuzzy}"
    assert not po.metadata_is_fuzzy


def test_translations_keep_their_placeholders():
    po = polib.pofile(str(PO))
    for entry in po.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(_placeholders(text)) == sorted(_placeholders(entry.msgid)), (entry.msgid, text)


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", text)


def test_the_shipped_mo_matches_the_po():
    """The .mo is what Django reads: it must hold exactly the .po's translations (not a stale build)."""
    assert MO.exists(), "locale/en/LC_MESSAGES/django.mo is missing: run `make messages` and commit it"
    po = polib.pofile(str(PO))
    mo = polib.mofile(str(MO))

    def table(catalog) -> dict:
        rows = {}
        for e in catalog:
            if not e.msgid:
                continue
            key = (e.msgctxt or "", e.msgid)
            rows[key] = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural)) if e.msgid_plural else e.msgstr
        return rows

    expected = table(e for e in po if e.translated() and not e.obsolete)
    assert table(mo) == expected, "locale/en/LC_MESSAGES/django.mo is stale: run `make messages` and commit it"


def test_django_finds_the_project_catalog():
    with translation.override("en"):
        assert translation.gettext("我要求助") == "Ask for help"
        assert translation.pgettext("plural", "求助件") == "help requests"
        assert (
            translation.ngettext("%d 条通知已重新排队。", "%d 条通知已重新排队。", 2) % 2
            == "2 notifications re-queued."
        )
    with translation.override("zh-hans"):
        assert translation.gettext("我要求助") == "我要求助"
