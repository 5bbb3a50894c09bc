"""Ids from forms and query strings: what looks like a number but is not one is refused, not a 500."""

import pytest

from helpdesk.params import id_or_none


@pytest.mark.parametrize("value", ["1", "42", "9223372036854775807"])
def test_a_plain_positive_number_in_range_is_an_id(value):
    assert id_or_none(value) == int(value)


@pytest.mark.parametrize("value", [None, "", "0", "-1", " 1", "1.0", "abc", "²", "١٢", "9223372036854775808", "9" * 40])
def test_anything_else_is_none(value):
    assert id_or_none(value) is None
