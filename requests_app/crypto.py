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

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


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
