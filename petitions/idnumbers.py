"""Resident ID numbers (居民身份证号码) encrypted at rest, with a keyed digest to match them.

The number is stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256, a fresh IV each time)
through jazzband's django-fernet-encrypted-fields; the keys are `settings.FIELD_ENCRYPTION_KEYS`
(newest first), not SECRET_KEY, so rotating the sign-in secret never loses a number.

Two encryptions of one number differ, so the database cannot match on it: repeat detection
matches `Petition.complainant_id_digest` instead, an HMAC-SHA256 of the normalised number
under a key derived from the encryption key (like the query code's HMAC, `salted_hmac`).
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError
from django.db.models.lookups import Exact, IsNull
from django.utils.crypto import salted_hmac
from encrypted_fields.fields import EncryptedCharField

logger = logging.getLogger(__name__)

_DIGEST_SALT = "suqiu.id-number-digest"
_FERNET_PREFIX = "gAAAAA"  # version byte 0x80 and a timestamp's high bytes, base64-encoded


def normalize_id_number(value: str | None) -> str:
    """As typed at the desk, as stored: no spaces, the check character `x` upper case."""
    return "".join((value or "").split()).upper()


def id_number_digest(value: str, key: str | None = None) -> str:
    """The keyed digest of a number under `key` (the current encryption key by default);
    empty for no number."""
    value = normalize_id_number(value)
    if not value:
        return ""
    key = key or settings.FIELD_ENCRYPTION_KEYS[0]
    return salted_hmac(_DIGEST_SALT, value, secret=key, algorithm="sha256").hexdigest()


def id_number_digests(value: str) -> list[str]:
    """The digests of a number under every configured key: during a key rotation, rows not
    yet re-keyed still match (`manage.py rotate_encryption_key` re-keys them)."""
    return [id_number_digest(value, key) for key in settings.FIELD_ENCRYPTION_KEYS] if value else []


class _EmptyOnlyExact(Exact):
    """`field=""` works (no number); `field="110…"` would compare against a random ciphertext
    and silently find nothing, so it is refused."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError("ID numbers are encrypted: match on complainant_id_digest (petitions.idnumbers).")
        return super().get_prep_lookup()


class EncryptedIdNumberField(EncryptedCharField):
    """An 18-character ID number stored as a Fernet token in a text column; blank is stored as
    an empty string (not NULL), so `blank=True` behaves like any CharField."""

    # Read from settings on every use (cheap), so a changed key list needs no restart hook.
    @property
    def keys(self) -> list[bytes]:
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]

    @property
    def f(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in self.keys])

    def get_prep_value(self, value):
        return super().get_prep_value(value) or ""

    def from_db_value(self, value, expression, connection):
        # Decrypt here rather than through the library's to_python, whose "already decrypted"
        # flag lives on the shared field and could skip a decryption on another thread.
        if not value:
            return ""
        try:
            return self.f.decrypt(value.encode()).decode()
        except InvalidToken:
            # A plain number from before the migration reads as it is. A token no configured
            # key opens stays as it is too (never blanked, so a save cannot erase it) and is reported.
            if value.startswith(_FERNET_PREFIX):
                logger.warning("An ID number could not be decrypted: is its key missing from FIELD_ENCRYPTION_KEY?")
            return value

    def get_lookup(self, lookup_name):
        # Ciphertext has no order and no substrings: only "is there a number" can be asked.
        return {"exact": _EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)
