"""The inventory of personal data: every field and file that holds something about a person.

One list, walked by everything that must treat personal data specially:
anonymisation (`retention.requests_anonymise` erases every entry of a request in
one batch), key rotation (`retention.personal_data_rotate_keys` re-encrypts
every encrypted entry), the export audit, log scrubbing and the README's
privacy section (`manage.py personal_data_inventory` prints the table the
README holds; a test keeps the two equal).
`requests_app/tests/test_personal_data.py` fails when a model gains an
encrypted field, a file field, or a text field named like personal data
(`looks_personal`), that is neither listed here nor declared not personal.

Apps register their own entries (`inventory_register`) from their
`AppConfig.ready()`: `requests_app` never imports `dispatch`, so dispatch adds
the outbox's recipients itself (`dispatch/personal_data.py`). The staff data
kept by the project's third-party apps (accounts, login logs) is listed here,
by label only, so the inventory is complete; anonymisation of requests does
not touch it (`request_path` is None) and `retention` says what does.

Invariant for callers: entries are read after the app registry is ready.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models


class Kind(enum.StrEnum):
    CONTACT = "contact"  # the citizen's name, phone, address: full only to staff who must call
    FREE_TEXT = "free_text"  # typed by a citizen, or by staff quoting one: never on a keyless output
    FILE = "file"  # a file on disk (a photo), and the row describing it
    RECIPIENT = "recipient"  # a phone or e-mail address a message was sent to
    DERIVED = "derived"  # a keyed hash of personal data (finds by phone): erased with it
    LOCATION = "location"  # the exact point a citizen gave (maybe their home): staff only, public ~100 m
    STAFF = "staff"  # about a staff member or someone logging in (accounts, login logs, access audit)


# `Entry.erased` for an entry whose whole row is deleted (with its file) on anonymisation.
DELETE = None


@dataclass(frozen=True)
class Coarsened:
    """`Entry.erased` for a coordinate: anonymisation keeps only what public outputs show (~100 m).

    Applied to the request's own fields only. Idempotent: coarsening twice is coarsening once.
    """

    def __call__(self, value: object) -> object:
        from .public import coordinate_public  # public imports the models; this module must not

        return coordinate_public(value)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return "rounded to the public ~100 m"


COARSENED = Coarsened()


@dataclass(frozen=True)
class Entry:
    """One field holding personal data.

    `model` is "app_label.ModelName"; `request_path` is the lookup from that
    model to the HelpRequest it belongs to ("" for HelpRequest itself), so a
    request's personal data can be found and erased together; None when the
    data is not a request's (staff accounts, login logs): anonymisation leaves
    it and `retention` says what erases it. `erased` is the value anonymisation
    writes (DELETE: the row is deleted, with its file; a callable such as
    COARSENED: applied to the request's own value). For a JSON field,
    `json_keys` names the (dotted) keys that hold personal data: only they are
    erased, the rest of the document stays.
    """

    model: str
    field: str
    kind: Kind
    request_path: str | None
    erased: object
    what: str  # for the README's privacy section
    json_keys: tuple[str, ...] = ()
    retention: str = ""  # how long it is kept and what erases it, when anonymisation does not

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def model_field(self) -> models.Field:
        field = self.model_class._meta.get_field(self.field)
        assert isinstance(field, models.Field), f"{self.model}.{self.field} is not a concrete field"
        return field

    @property
    def is_encrypted(self) -> bool:
        from .crypto import EncryptedTextField

        return isinstance(self.model_field, EncryptedTextField)

    @property
    def erased_on_anonymisation(self) -> bool:
        return self.request_path is not None


ANONYMISED_NAME = "已匿名"
ANONYMISED_TEXT = "（已按个人信息保存期限匿名化）"

_ENTRIES: dict[tuple[str, str], Entry] = {}
# Fields whose name looks personal but that hold none (a unit's name, an API client's name).
_NOT_PERSONAL: dict[tuple[str, str], str] = {}


def inventory_register(*entries: Entry) -> None:
    for entry in entries:
        _ENTRIES[(entry.model, entry.field)] = entry


def inventory_declare_not_personal(*fields: str, reason: str = "") -> None:
    """Fields named like personal data that are not ("dispatch.Unit.name"), with why."""
    for dotted in fields:
        app_label, model, field = dotted.split(".")
        _NOT_PERSONAL[(f"{app_label}.{model}", field)] = reason


def inventory() -> list[Entry]:
    return list(_ENTRIES.values())


def inventory_encrypted() -> list[Entry]:
    return [e for e in _ENTRIES.values() if e.is_encrypted]


def inventory_for_requests() -> list[Entry]:
    """The entries anonymisation erases, grouped by model (HelpRequest's own first)."""
    entries = [e for e in _ENTRIES.values() if e.erased_on_anonymisation]
    return sorted(entries, key=lambda e: (e.request_path != "", e.model))


def is_declared_not_personal(model: str, field: str) -> bool:
    return (model, field) in _NOT_PERSONAL


def declared_not_personal() -> dict[tuple[str, str], str]:
    return dict(_NOT_PERSONAL)


# --- Finding what is missing ----------------------------------------------------

# Text columns named like these hold personal data until declared otherwise.
# Substrings, so "username", "first_name", "decision_note", "ip_address" match;
# a false match costs one line of `inventory_declare_not_personal`.
PERSONAL_NAME = re.compile(
    r"name|phone|mobile|(^|_)tel(_|$)|address|mail|id_?(number|no|card)|comment|note|remark"
    r"|recipient|reason|instruction|contact"
)
# Only columns that can hold text: a `first_contact_at` timestamp holds no personal data.
_TEXT_FIELDS = (models.CharField, models.TextField, models.GenericIPAddressField, models.JSONField)
# Numbers named like a position: a point on a map can be someone's home.
PERSONAL_PLACE = re.compile(r"(^|_)(lat|latitude|lon|lng|longitude|coord\w*|location|position|geo\w*)(_|$)")
_NUMBER_FIELDS = (models.DecimalField, models.FloatField)


def looks_personal(field: models.Field) -> bool:
    """Must this field be in the inventory (or declared not personal)?"""
    from .crypto import EncryptedTextField

    if isinstance(field, (EncryptedTextField, models.FileField)):
        return True
    if isinstance(field, _NUMBER_FIELDS):
        return bool(PERSONAL_PLACE.search(field.name))
    return isinstance(field, _TEXT_FIELDS) and bool(PERSONAL_NAME.search(field.name))


def inventory_unlisted(model_classes: Iterable[type[models.Model]] | None = None) -> list[str]:
    """Fields ("app.Model.field") that look personal but are neither listed nor declared not personal.

    An encrypted field must be listed (key rotation walks the list); declaring
    it not personal does not count. Proxy models are skipped: their fields are
    their concrete model's.
    """
    from .crypto import EncryptedTextField

    model_classes = apps.get_models() if model_classes is None else model_classes
    missing = []
    for model in model_classes:
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            if not looks_personal(field):
                continue
            key = (model._meta.label, field.name)
            if key in _ENTRIES:
                continue
            if key in _NOT_PERSONAL and not isinstance(field, EncryptedTextField):
                continue
            missing.append(".".join(key))
    return missing


def inventory_stale() -> list[str]:
    """Entries and declarations that name no existing field (renamed or removed)."""
    stale = []
    for model, field in [*_ENTRIES, *_NOT_PERSONAL]:
        try:
            apps.get_model(model)._meta.get_field(field)
        except (LookupError, FieldDoesNotExist):
            stale.append(f"{model}.{field}")
    return stale


# --- The README's table ---------------------------------------------------------

KIND_LABELS = {
    Kind.CONTACT: "contact",
    Kind.FREE_TEXT: "free text",
    Kind.FILE: "file",
    Kind.RECIPIENT: "recipient",
    Kind.DERIVED: "keyed hash",
    Kind.LOCATION: "location",
    Kind.STAFF: "staff",
}


def _erasure(entry: Entry) -> str:
    if not entry.erased_on_anonymisation:
        return entry.retention or "kept"
    if entry.erased is DELETE:
        return "row and file deleted" if entry.kind == Kind.FILE else "row deleted"
    if callable(entry.erased):
        return str(entry.erased)
    blanked = "blanked" if entry.erased in ("", {}) else f"set to “{entry.erased}”"
    if entry.json_keys:
        return f"keys {', '.join(f'`{k}`' for k in entry.json_keys)} {blanked}"
    return blanked


def inventory_markdown() -> str:
    """The inventory as the Markdown table of the README's privacy section."""
    lines = [
        "| Field | Holds | Kind | Encrypted | Anonymisation |",
        "| --- | --- | --- | --- | --- |",
    ]
    for e in sorted(_ENTRIES.values(), key=lambda e: (not e.erased_on_anonymisation, e.model, e.field)):
        encrypted = "yes" if e.is_encrypted else ""
        lines.append(f"| `{e.model}.{e.field}` | {e.what} | {KIND_LABELS[e.kind]} | {encrypted} | {_erasure(e)} |")
    return "\n".join(lines) + "\n"


# --- requests_app's own entries ---------------------------------------------------

REQUEST = "requests_app.HelpRequest"

inventory_register(
    Entry(REQUEST, "name", Kind.CONTACT, "", ANONYMISED_NAME, "市民姓名"),
    Entry(REQUEST, "phone", Kind.CONTACT, "", "", "市民电话"),
    Entry(REQUEST, "phone_hash", Kind.DERIVED, "", "", "电话的密钥哈希（按电话查找）"),
    Entry(REQUEST, "address", Kind.CONTACT, "", "", "市民地址"),
    Entry(REQUEST, "latitude", Kind.LOCATION, "", COARSENED, "市民所给位置的纬度（精确；公开时约100米）"),
    Entry(REQUEST, "longitude", Kind.LOCATION, "", COARSENED, "市民所给位置的经度（精确；公开时约100米）"),
    Entry(REQUEST, "title", Kind.FREE_TEXT, "", ANONYMISED_TEXT, "求助标题（公开时经脱敏）"),
    Entry(REQUEST, "content", Kind.FREE_TEXT, "", ANONYMISED_TEXT, "求助内容（市民填写）"),
    Entry("requests_app.Feedback", "comment", Kind.FREE_TEXT, "request", "", "市民评价意见（评价结果保留）"),
    # Erasing a note is the one write to the append-only timeline (see requests_anonymise).
    Entry("requests_app.Event", "note", Kind.FREE_TEXT, "request", "", "办理记录的说明（可能引述市民）"),
    Entry(
        "requests_app.Event",
        "data",
        Kind.FREE_TEXT,
        "request",
        "",
        "办理记录数据中的列单说明、交办意见",
        json_keys=("note", "instructions"),
    ),
    # The 问政 board's approved text: reviewed, but still the citizen's story (and a unit's answer to it).
    *(
        Entry("requests_app.Publication", field, Kind.FREE_TEXT, "request", DELETE, what)
        for field, what in (
            ("title", "问政板公开标题（工作人员审核后）"),
            ("content", "问政板公开内容（工作人员审核后）"),
            ("reply", "问政板公开答复（工作人员审核后）"),
            ("withdrawn_reason", "问政板撤下原因（工作人员填写，可能引用公开内容）"),
        )
    ),
    Entry("requests_app.Attachment", "file", Kind.FILE, "request", DELETE, "市民上传的照片（文件与记录）"),
    Entry(
        "requests_app.WebhookDelivery",
        "payload",
        Kind.FREE_TEXT,
        "request",
        "",
        "推送给接口客户端的标题和进展说明",
        json_keys=("service_request.description", "service_request.status_notes"),
    ),
)
inventory_declare_not_personal(
    "requests_app.Category.name",
    "requests_app.District.name",
    "requests_app.ApiClient.name",
    "requests_app.Event.unit_name",
    reason="names of channels, districts, client systems and units, not of people",
)

# --- Staff data kept by the project's third-party apps ------------------------------

_ACCOUNT = "kept while the account exists (deactivate or delete it when someone leaves)"
# django-axes (staff login): who tried to log in, from where. Not on a schedule here: run
# its commands from the host's cron with the age the city's policy sets.
_AXES_RETENTION = {
    "AccessAttempt": "deleted by django-axes when the lock-out cools off (`LOGIN_LOCK_HOURS`)",
    "AccessLog": "kept until `python manage.py axes_reset_logs --age DAYS`",
    "AccessFailureLog": "kept until `python manage.py axes_reset_failure_logs --age DAYS`",
}
inventory_register(
    Entry("auth.User", "username", Kind.STAFF, None, "", "员工用户名", retention=_ACCOUNT),
    Entry("auth.User", "first_name", Kind.STAFF, None, "", "员工名", retention=_ACCOUNT),
    Entry("auth.User", "last_name", Kind.STAFF, None, "", "员工姓", retention=_ACCOUNT),
    Entry("auth.User", "email", Kind.STAFF, None, "", "员工邮箱（接收督办、提醒邮件）", retention=_ACCOUNT),
    *(
        Entry(f"axes.{model}", field, Kind.STAFF, None, "", what, retention=retention)
        for model, retention in _AXES_RETENTION.items()
        for field, what in (("username", "登录时输入的用户名"), ("ip_address", "登录者的IP地址"))
    ),
)
inventory_declare_not_personal(
    "auth.Group.name",
    "auth.Permission.name",
    "auth.Permission.codename",
    "otp_totp.TOTPDevice.name",
    reason="role, permission and authenticator-device labels",
)
