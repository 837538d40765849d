"""Rate limits of the public portal, counted with django-ratelimit in the shared cache.

Per address: a bound on how fast one machine can guess codes or post cases. Per tracking
number: a bound on guessing one case's query code from many addresses. Counted in the
`default` cache: Redis when REDIS_URL is set (shared by every web process); locally a
LocMemCache, which is per process — fine for `make run`, not for several web processes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from petitions.services import normalize_tracking_number


def _case_key(number: str):
    return lambda group, request: normalize_tracking_number(number)[:20] or "-"


def lookup_limited(request: HttpRequest, tracking_number: str = "") -> bool:
    """Count one proof attempt (lookup, rating, review, private link); True when over a limit.

    Both counters are incremented on every attempt, so a blocked address keeps being blocked."""
    by_address = is_ratelimited(
        request,
        group="portal.lookup.address",
        key="ip",
        rate=settings.SUQIU_LOOKUP_RATE_PER_ADDRESS,
        method=is_ratelimited.ALL,
        increment=True,
    )
    by_case = False
    if tracking_number:
        by_case = is_ratelimited(
            request,
            group="portal.lookup.case",
            key=_case_key(tracking_number),
            rate=settings.SUQIU_LOOKUP_RATE_PER_CASE,
            method=is_ratelimited.ALL,
            increment=True,
        )
    return by_address or by_case


def submit_limited(request: HttpRequest) -> bool:
    """Count one online submission from this address; True when over the limit."""
    return is_ratelimited(
        request,
        group="portal.submit.address",
        key="ip",
        rate=settings.SUQIU_SUBMIT_RATE_PER_ADDRESS,
        method=is_ratelimited.ALL,
        increment=True,
    )
