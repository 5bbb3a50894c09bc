"""The one redactor of free text: what a keyless output may show of a title."""

import pytest

from requests_app.redact import EMAIL_MARK, ID_MARK, PHONE_MARK, text_redact


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("王五13812345678家门口水管爆了", f"王五{PHONE_MARK}家门口水管爆了"),
        ("电话 138 1234 5678 请回电", f"电话 {PHONE_MARK} 请回电"),
        ("+86-138-1234-5678", PHONE_MARK),
        ("１３８１２３４５６７８", PHONE_MARK),
        ("座机0371-66668888", f"座机{PHONE_MARK}"),
        ("(0371)66668888", PHONE_MARK),
        ("身份证410102199001011234号", f"身份证{ID_MARK}号"),
        ("41010219900101123X", ID_MARK),
        ("写信到 wang.wu@example.com 谢谢", f"写信到 {EMAIL_MARK} 谢谢"),
    ],
)
def test_personal_numbers_are_masked(typed, shown):
    assert text_redact(typed) == shown


@pytest.mark.parametrize(
    "text",
    ["金水区第3栋201室停水", "2022年1月9日12时", "ZZ20260315-0042 的进度", "订单号 20220109123456789012", ""],
)
def test_ordinary_text_is_kept(text):
    assert text_redact(text) == text
