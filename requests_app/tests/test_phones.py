import pytest

from requests_app.phones import name_mask, phone_mask, phone_normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese keyboard
        ("0371-66668888", "0371-66668888"),
        ("037166668888", "0371-66668888"),
        ("(010) 12345678", "010-12345678"),
        ("12812345678", None),  # 12x is no mobile prefix
        ("1381234567", None),  # 10 digits
        ("138123456789", None),  # 12 digits
        ("13812345678a", None),
        ("", None),
        ("📞13812345678", None),
    ],
)
def test_phone_normalize(raw, expected):
    assert phone_normalize(raw) == expected


def test_masks_hide_the_middle_of_phones_and_all_but_the_surname():
    assert phone_mask("13812345678") == "138****5678"
    assert phone_mask("0371-66668888") == "0371-****8888"
    assert name_mask("张三") == "张*"
    assert name_mask("欧阳娜娜") == "欧***"
    assert name_mask("张") == "张*"
