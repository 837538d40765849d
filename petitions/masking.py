"""Masking of personal data (个人信息脱敏) for people who may see a case but not who raised it.

The shapes follow what residents see on bank and government receipts: enough to recognise
one's own number, too little to call or identify anyone.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy


def mask_phone(value: str) -> str:
    """`13800138000` → `138****8000`; a landline keeps its area code and last four digits."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    keep_head = 3 if len(value) >= 11 else min(3, len(value) - 4)
    return value[:keep_head] + "*" * (len(value) - keep_head - 4) + value[-4:]


def mask_id_number(value: str) -> str:
    """`530102199001011234` → `5301**********1234`: the province and city, and the last four."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """`字红梅` → `字**`: the family name only."""
    value = (value or "").strip()
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


# What everyone but the competent commission sees of a confidential report's identities.
CONFIDENTIAL = gettext_lazy("confidential")
