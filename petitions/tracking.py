"""The codes on a receipt (回执): the tracking number and the query code, and how a resident's
typing of them is read. Pure functions, read by registration and by the portal's lookups."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from petitions.models import Petition

_TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
QUERY_CODE_LENGTH = 8


def new_tracking_number() -> str:
    """`20261123-K7M2QX`: the day it was registered and six random characters."""
    suffix = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))
    return f"{timezone.localdate():%Y%m%d}-{suffix}"


def normalize_tracking_number(value: str) -> str:
    """What a resident types, as we store it: upper case, the hyphen where it belongs."""
    compact = re.sub(r"[\s\-]", "", value or "").upper()
    return f"{compact[:8]}-{compact[8:]}" if len(compact) == 14 else compact


def query_code_hash(tracking_number: str, code: str, secret: str | None = None) -> str:
    return salted_hmac("suqiu.query-code", f"{tracking_number}:{code}", secret=secret, algorithm="sha256").hexdigest()


def query_code_matches(petition: Petition, code: str) -> bool:
    """Whether `code` is the case's query code (also under a rotated-out SECRET_KEY)."""
    code = re.sub(r"\s", "", code or "")
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(query_code_hash(petition.tracking_number, code, secret), petition.query_code_hash):
            return True
    return False
