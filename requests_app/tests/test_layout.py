"""The public layout: the language switch and the 长辈版 button, without a browser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from requests_app.display import TEXT_SIZE_COOKIE

pytestmark = pytest.mark.django_db


def test_the_language_switch_names_each_language_in_itself(client):
    html = client.get("/help/track/").content.decode()
    assert 'id="text-size-toggle"' in html
    # Offered to a Chinese page: English, in English (not "英语"), marked as English for screen readers.
    assert '<button type="submit" name="language" value="en" lang="en"' in html and ">English</button>" in html
    assert "英语" not in html
    html = client.get("/help/track/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="zh-hans" lang="zh-hans"' in html and ">简体中文</button>" in html
    assert "Simplified Chinese" not in html


def test_elder_mode_is_set_remembered_and_cleared(client):
    page = client.get("/help/track/?ticket_number=A")
    assert page.status_code == 200 and "长辈版（大字）" in page.content.decode()
    assert 'class="text-large"' not in page.content.decode()

    response = client.post(
        reverse("requests_app:text_size"), {"text_size": "large", "next": "/help/track/?ticket_number=A"}
    )
    assert response.status_code == 302 and response["Location"] == "/help/track/?ticket_number=A"
    cookie = response.cookies[TEXT_SIZE_COOKIE]
    assert (
        cookie.value == "large"
        and cookie["httponly"]
        and cookie["samesite"] == "Lax"
        and int(cookie["max-age"]) > 86400
    )
    for path in ("/", "/help/new/", "/stats/", "/poster/"):
        html = client.get(path).content.decode()
        assert '<html lang="zh-hans" class="text-large">' in html and "退出长辈版" in html, path

    response = client.post(reverse("requests_app:text_size"), {"text_size": "standard", "next": "/"})
    assert response.status_code == 302 and response.cookies[TEXT_SIZE_COOKIE].value == ""
    html = client.get("/").content.decode()
    assert "长辈版（大字）" in html and 'class="text-large"' not in html


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "", "javascript:alert(1)"])
def test_elder_mode_only_redirects_back_into_the_portal(client, next_url):
    response = client.post(reverse("requests_app:text_size"), {"text_size": "large", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


def test_elder_mode_needs_a_post_with_the_csrf_token():
    from django.test import Client

    assert Client().get(reverse("requests_app:text_size")).status_code == 405
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(reverse("requests_app:text_size"), {"text_size": "large"}).status_code == 403


def test_error_pages_keep_the_large_text(client):
    client.cookies[TEXT_SIZE_COOKIE] = "large"
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    assert 'class="text-large"' in response.content.decode()


def test_the_layouts_fixed_parts_follow_the_language_of_each_request(client):
    """The nav, header and footer are rendered once per process and language (a fragment cache):
    a page in one language never serves another language's copy."""
    for language, nav, other in [("zh-hans", "查看进度", "Check progress"), ("en", "Check progress", "查看进度")] * 2:
        html = client.get("/help/track/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<html lang="{language}"' in html and 'id="main"' in html
        assert f'href="/help/track/">{nav}</a>' in html and other not in html, language
        assert '<script src="/static/js/site.js' in html
