"""The inventory of personal data: every field and file that holds something about a citizen.

One list, walked by everything that must treat personal data specially:
anonymisation (`services.requests_anonymise` erases every entry of a request in
one batch), key rotation (`services.personal_data_rotate_keys` re-encrypts
every encrypted entry), the export audit, log scrubbing and the README's
privacy section. `requests_app/tests/test_personal_data.py` fails when a model
gains an encrypted field, or a field named like a name, phone or address,
that is neither listed here nor declared not personal.

Apps register their own entries (`inventory_register`) from their
`AppConfig.ready()`: `requests_app` never imports `dispatch`, so dispatch adds
the outbox's recipients itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.apps import apps
from django.db import models


class Kind(enum.StrEnum):
    CONTACT = "contact"  # the citizen's name, phone, address: full only to staff who must call
    FREE_TEXT = "free_text"  # typed by a citizen, or by staff quoting one: never on a keyless output
    FILE = "file"  # a file on disk (a photo), and the row describing it
    RECIPIENT = "recipient"  # a phone or e-mail address a message was sent to
    DERIVED = "derived"  # a keyed hash of personal data (finds by phone): erased with it


@dataclass(frozen=True)
class Entry:
    """One field holding personal data.

    `model` is "app_label.ModelName"; `request_path` is the lookup from that
    model to the HelpRequest it belongs to ("" for HelpRequest itself), so a
    request's personal data can be found and erased together. `erased` is the
    value anonymisation writes (None: the row is deleted, with its file).
    """

    model: str
    field: str
    kind: Kind
    request_path: str
    erased: str | None
    what: str  # for the README's privacy section

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def model_field(self) -> models.Field:
        return self.model_class._meta.get_field(self.field)

    @property
    def is_encrypted(self) -> bool:
        from .crypto import EncryptedTextField

        return isinstance(self.model_field, EncryptedTextField)


ANONYMISED_NAME = "已匿名"
ANONYMISED_TEXT = "（已按个人信息保存期限匿名化）"

_ENTRIES: dict[tuple[str, str], Entry] = {}
# Fields whose name looks personal but that hold none (a unit's name, an API client's name).
_NOT_PERSONAL: set[tuple[str, str]] = set()


def inventory_register(*entries: Entry) -> None:
    for entry in entries:
        _ENTRIES[(entry.model, entry.field)] = entry


def inventory_declare_not_personal(*fields: str) -> None:
    """Fields named like personal data that are not ("dispatch.Unit.name")."""
    for dotted in fields:
        app_label, model, field = dotted.split(".")
        _NOT_PERSONAL.add((f"{app_label}.{model}", field))


def inventory() -> list[Entry]:
    return list(_ENTRIES.values())


def inventory_encrypted() -> list[Entry]:
    return [e for e in _ENTRIES.values() if e.is_encrypted]


def is_declared_not_personal(model: str, field: str) -> bool:
    return (model, field) in _NOT_PERSONAL


REQUEST = "requests_app.HelpRequest"

inventory_register(
    Entry(REQUEST, "name", Kind.CONTACT, "", ANONYMISED_NAME, "市民姓名（加密存储）"),
    Entry(REQUEST, "phone", Kind.CONTACT, "", "", "市民电话（加密存储）"),
    Entry(REQUEST, "phone_hash", Kind.DERIVED, "", "", "电话的密钥哈希（按电话查找）"),
    Entry(REQUEST, "address", Kind.CONTACT, "", "", "市民地址（加密存储）"),
    Entry(REQUEST, "content", Kind.FREE_TEXT, "", ANONYMISED_TEXT, "求助内容（市民填写）"),
    Entry(REQUEST, "title", Kind.FREE_TEXT, "", ANONYMISED_TEXT, "求助标题（公开时经脱敏）"),
    Entry("requests_app.Feedback", "comment", Kind.FREE_TEXT, "request", "", "市民评价意见"),
    Entry("requests_app.Event", "note", Kind.FREE_TEXT, "request", "", "办理记录的说明（可能引述市民）"),
    Entry("requests_app.Attachment", "file", Kind.FILE, "request", None, "市民上传的照片（文件与记录）"),
)
inventory_declare_not_personal(
    "requests_app.Category.name",
    "requests_app.District.name",
    "requests_app.ApiClient.name",
    "requests_app.Event.unit_name",
)
