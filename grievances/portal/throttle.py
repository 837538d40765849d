"""Rate limits of the public portal: proving a case (lookup, rating, review, private link)
and posting one.

A proof is limited by the proofs that *failed*: a wrong query code and a tracking number
that does not exist count alike, keyed on the number as typed, so the limits tell nobody
which numbers exist. A right code costs nothing and is refused only where a wrong one would
be. Three counters (docs/security.md "Resident lookup limits" has the arithmetic):

- per tracking number and address (`LOOKUP_RATE_PER_CASE_ADDRESS`, 10/h): a mistyping
  resident, or one guessing machine, is refused that case until the window ends — the right
  code too, or the refusal would stop only the wrong guesses and so point at the right one;
- per address across cases (`LOOKUP_RATE_PER_ADDRESS`, 100/d): a bound on one machine
  working through the tracking numbers Open311 lists;
- per tracking number from every address (`LOOKUP_RATE_PER_CASE`, 100/d): the bound on a
  distributed guess at one code. Once it is spent, the codes of that number are checked only
  for a device that proved the case before.

A device that proves a case (a lookup, the receipt of its submission, the private link)
gets a device token (OWASP's "device cookie" against lockout): a random value signed for
that one case, an HttpOnly cookie on the pages and `device_token` in the API. With it the
codes are checked whatever the address's and the case's counters say; its own failures
count on it alone (at `LOOKUP_RATE_PER_CASE_ADDRESS`), so a stolen token is no free run at
the code. It proves nothing by itself: the code is still needed. The private link (256
random bits) always opens its case; a wrong link counts on the address only.

The counters are fixed windows in the `default` cache: Redis when REDIS_URL is set (shared
by every web process); locally a LocMemCache, which is per process — fine for `make run`,
not for several web processes. A proof takes a unit on each counter before the check (an
atomic `incr`) and gives it back when the proof is right: concurrent guesses cannot overshoot
a limit. django-ratelimit (still counting submissions) counts every request and cannot give
a unit back, hence the small counter here.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import is_ratelimited

from config.env import parse_rate
from config.middleware import address_key, client_address
from grievances.portal import selectors
from grievances.portal.models import TOKEN_LIFETIME
from petitions.models import Petition
from petitions.services import normalize_tracking_number

_FUDGE = 5  # seconds a counter outlives its window, so it is never read as expired early


@dataclass(frozen=True)
class Proof:
    """What one proof came to: the case (None when it did not match or was refused), when a
    refused client may try again, and the device token to hand back with the case."""

    petition: Petition | None = None
    retry_at: datetime | None = None
    device_token: str = ""

    @property
    def limited(self) -> bool:
        return self.retry_at is not None


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    seconds: int
    ends_at: float

    @classmethod
    def of(cls, group: str, value: str, rate: str) -> _Counter:
        limit, seconds = parse_rate(rate)
        window = int(time.time()) // seconds
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return cls(f"lookup:{group}:{seconds}:{digest}:{window}", limit, seconds, (window + 1) * seconds)

    def take(self) -> bool:
        """Take one unit; False (and nothing taken) when the window's units are spent."""
        for _attempt in range(3):
            if cache.add(self.key, 1, self.seconds + _FUDGE):
                count = 1
                break
            try:
                count = cache.incr(self.key)
                break
            except ValueError:  # expired between add and incr: add again
                continue
        else:
            return False
        if count > self.limit:
            self.give_back()
            return False
        return True

    def give_back(self) -> None:
        with contextlib.suppress(ValueError):  # the window ended meanwhile
            cache.decr(self.key)

    @staticmethod
    def take_all(counters: list[_Counter]) -> _Counter | None:
        """Take one unit of each counter, or of none: the first spent counter, else None.

        With Redis, one round trip (INCR and EXPIRE of each key in a pipeline) where Django's
        cache API costs two or three per counter (`incr` asks whether the key exists first): a
        lookup took 6 ms against 4.6 ms before the limits counted this way (bench W3)."""
        client = _redis_client()
        if client is None:
            taken: list[_Counter] = []
            for counter in counters:
                if not counter.take():
                    _Counter.give_back_all(taken)
                    return counter
                taken.append(counter)
            return None
        pipe = client.pipeline(transaction=False)
        for counter in counters:
            key = cache.make_and_validate_key(counter.key)
            pipe.incr(key)
            # Relative, as `cache.add` sets it: Redis's clock, not this process's, ends the key
            # (the key names its window, so a later EXPIRE only keeps a current window's count).
            pipe.expire(key, counter.seconds + _FUDGE)
        counts = pipe.execute()[0::2]
        spent = next((counter for counter, count in zip(counters, counts, strict=True) if count > counter.limit), None)
        if spent is not None:
            _Counter.give_back_all(counters)
        return spent

    @staticmethod
    def give_back_all(counters: list[_Counter]) -> None:
        client = _redis_client()
        if client is None:
            for counter in counters:
                counter.give_back()
            return
        pipe = client.pipeline(transaction=False)
        for counter in counters:
            pipe.decr(cache.make_and_validate_key(counter.key))
        pipe.execute()


def _redis_client():
    """The Redis client behind the default cache (Django's own RedisCache), or None."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]  # `cache` is a proxy to it
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


# --- Device tokens --------------------------------------------------------------------------------


def _number(tracking_number: str) -> str:
    return normalize_tracking_number(tracking_number or "")[:20] or "-"


def _signer(number: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"grievances.lookup.device:{number}")


def device_token_issue(tracking_number: str) -> str:
    """A device token for this case: a random value signed for its tracking number."""
    return _signer(_number(tracking_number)).sign(secrets.token_urlsafe(16))


def _device(number: str, token: str) -> str | None:
    """The token's random value when it is a valid, unexpired token of this case, else None."""
    if not token or len(token) > 200:
        return None
    try:
        return _signer(number).unsign(token, max_age=TOKEN_LIFETIME)
    except signing.BadSignature:
        return None


def device_cookie_name(tracking_number: str) -> str:
    return f"suqiu_case_{_number(tracking_number)}"


def device_cookie(request: HttpRequest, tracking_number: str) -> str:
    return request.COOKIES.get(device_cookie_name(tracking_number), "")


def remember_device(request: HttpRequest, response: HttpResponse, proof: Proof) -> HttpResponse:
    """Set the device cookie of the proved case, unless the browser already holds a valid one."""
    petition = proof.petition
    if petition is None or not proof.device_token:
        return response
    number = petition.tracking_number
    if _device(_number(number), device_cookie(request, number)) is None:
        response.set_cookie(
            device_cookie_name(number),
            proof.device_token,
            max_age=int(TOKEN_LIFETIME.total_seconds()),
            path="/track/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


# --- Proofs ----------------------------------------------------------------------------------------


def _refused(counter: _Counter) -> Proof:
    return Proof(retry_at=datetime.fromtimestamp(counter.ends_at, tz=UTC))


def prove_codes(request: HttpRequest, *, tracking_number: str, query_code: str, device_token: str = "") -> Proof:
    """Check the tracking number and query code within the limits (module docstring)."""
    number = _number(tracking_number)
    device = _device(number, device_token)
    if device is not None:
        counters = [_Counter.of("device", device, settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS)]
    else:
        address = client_address(request)
        counters = [
            _Counter.of("address", address, settings.SUQIU_LOOKUP_RATE_PER_ADDRESS),
            _Counter.of("case-address", f"{number} {address}", settings.SUQIU_LOOKUP_RATE_PER_CASE_ADDRESS),
            _Counter.of("case", number, settings.SUQIU_LOOKUP_RATE_PER_CASE),
        ]
    if (spent := _Counter.take_all(counters)) is not None:
        return _refused(spent)
    petition = selectors.petition_for_codes(tracking_number, query_code)
    if petition is None:
        return Proof()  # the units stay taken: this was a failure
    _Counter.give_back_all(counters)
    return Proof(petition=petition, device_token=device_token if device else device_token_issue(number))


def prove_link(request: HttpRequest, *, token: str) -> Proof:
    """Open the case of a private link; a link that opens nothing counts on the address."""
    petition = selectors.petition_for_token(token)
    if petition is not None:
        return Proof(petition=petition, device_token=device_token_issue(petition.tracking_number))
    counter = _Counter.of("address", client_address(request), settings.SUQIU_LOOKUP_RATE_PER_ADDRESS)
    return Proof() if counter.take() else _refused(counter)


def submit_limited(request: HttpRequest) -> bool:
    """Count one online submission from this address; True when over the limit."""
    return is_ratelimited(
        request,
        group="portal.submit.address",
        key=address_key,
        rate=settings.SUQIU_SUBMIT_RATE_PER_ADDRESS,
        method=is_ratelimited.ALL,
        increment=True,
    )
