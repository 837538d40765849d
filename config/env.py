"""Read settings from the environment, refusing values that do not parse.

After healthchecks' `envbool` / `envint`: a typo in a deployment variable fails loudly at
start-up instead of silently turning a feature off.
"""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def envlist(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """(count, seconds) of a rate written like django-ratelimit's: `10/h`, `100/d`, `5/15m`."""
    match = _RATE.match(rate or "")
    if match is None or int(match[1]) < 1 or match[2] == "0":
        raise ValueError(f"not a rate like 10/h or 100/d: {rate!r}")
    return int(match[1]), int(match[2] or 1) * _PERIOD_SECONDS[match[3]]


def envrate(name: str, default: str) -> str:
    """A rate `<count>/<period>` (period s, m, h or d, optionally with a multiple: `100/24h`)."""
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    try:
        parse_rate(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a rate like 10/h or 100/d, not {raw!r}") from None
    return value
