"""The board's entries in the inventory of personal data (requests_app.personal_data).

A 我也遇到 row holds another citizen's phone (encrypted) and its keyed hash; anonymising
the request deletes the rows (the count goes with them).
"""

from __future__ import annotations

from requests_app.personal_data import DELETE, Entry, Kind, inventory_register

inventory_register(
    Entry("board.MeToo", "phone", Kind.CONTACT, "request", DELETE, "“我也遇到”市民的电话（办结时短信告知）"),
    Entry("board.MeToo", "phone_hash", Kind.DERIVED, "request", DELETE, "“我也遇到”电话的密钥哈希（一个电话只计一次）"),
)
