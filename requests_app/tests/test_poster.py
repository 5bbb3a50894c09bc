"""The printable poster with the platform's QR codes."""

import pytest
import segno  # noqa: F401  (the QR codes are drawn by segno on the server)

pytestmark = pytest.mark.django_db


def test_poster_has_two_qr_codes_and_print_css(client):
    response = client.get("/poster/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 2
    assert 'id="qr-submit"' in html and 'id="qr-track"' in html
    assert "http://testserver/help/new/" in html and "http://testserver/help/track/" in html
    assert "扫码进入平台求助" in html
