"""Personal data at rest: encrypted model fields and the keyed hash that keeps exact search.

- `EncryptedTextField` stores Fernet tokens (AES-128-CBC + HMAC-SHA256) and
  gives back plain text on load. Keys come from FIELD_ENCRYPTION_KEYS (a list;
  the first encrypts, all decrypt), so a key is rotated by putting a new one
  first and running `manage.py rotate_encryption_keys`, then dropping the old.
- `keyed_hash` is HMAC-SHA256 under PERSONAL_DATA_HASH_KEY: the phone's hash
  is stored beside the ciphertext so "find by phone" stays an indexed equality
  lookup without the phone ever being stored in the clear.

Invariant: encrypted columns are never filtered or ordered by in SQL (their
ciphertext is randomised); search through the hash columns instead.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable


def _derive(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


@functools.cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encryption_keys() -> tuple[str, ...]:
    """The configured Fernet keys, or one derived from SECRET_KEY (development only)."""
    keys = tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k)
    if keys:
        return keys
    return (base64.urlsafe_b64encode(_derive(settings.SECRET_KEY, "field-encryption")).decode(),)


def fernet() -> MultiFernet:
    return _fernet_for(encryption_keys())


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (current) key."""
    return fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """Hex HMAC-SHA256 of a normalised value; empty for an empty value."""
    if not value:
        return ""
    key = settings.PERSONAL_DATA_HASH_KEY or _derive(settings.SECRET_KEY, "personal-data-hash").hex()
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column whose database value is a Fernet token; Python sees plain text.

    Empty strings stay empty (nothing to protect, and it keeps blank=True simple).
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            # A value no configured key opens (a key dropped too early): say so
            # instead of failing the whole page.
            return "[无法解密]"


class EncryptedDecimalField(EncryptedTextField):
    """A decimal kept as a Fernet token, such as the exact point of a citizen's home.

    Python sees a `Decimal` quantised to `decimal_places` (or None); the column
    holds ciphertext, so the database can check only that a value is present,
    never its range (callers validate: the form and the Open311 service check
    the city's box). Key rotation and anonymisation treat it like any
    encrypted text field.
    """

    if TYPE_CHECKING:  # what django-stubs' plugin reads as the model attribute's types
        _pyi_private_set_type: Decimal | Combinable | None  # type: ignore[assignment]  # not str
        _pyi_private_get_type: Decimal | None  # type: ignore[assignment]

    def __init__(self, *args, decimal_places: int = 6, max_digits: int = 9, **kwargs) -> None:
        self.decimal_places = decimal_places
        self.max_digits = max_digits
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["decimal_places"] = self.decimal_places
        kwargs["max_digits"] = self.max_digits
        return name, path, args, kwargs

    def _quantise(self, value) -> Decimal:
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places))

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return self._quantise(str(value).strip())
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from exc

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        if hasattr(value, "resolve_expression"):
            return value
        return encrypt(str(self._quantise(value)))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        try:
            return self._quantise(decrypt(value))
        except (InvalidToken, InvalidOperation):
            return None  # a token no configured key opens: no point rather than a wrong one

    def formfield(self, **kwargs):
        return forms.DecimalField(
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            required=not self.blank,
            label=self.verbose_name,
            **kwargs,
        )
