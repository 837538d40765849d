"""What the load client needs from the generated province, written to bench/var/<database>/fixtures.json:
API tokens and a signed-in session for the benchmark's staff, the county and township the
workloads ask about, and a sample of (tracking number, query code) pairs for the lookup.

Runs inside Django (`python -m bench fixtures`, called by the runner); cheap, idempotent."""

from __future__ import annotations

import json
import random
import time

from bench.env import FIXTURES
from bench.generate import query_code

LOOKUP_SAMPLE = 20_000


def build() -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from config.middleware import LAST_SEEN_AT, SIGNED_IN_AT
    from stations.models import Membership, Region, User
    from stations.tokens import token_issue

    province = Region.objects.get(level="province")
    county = Region.objects.filter(level="county").order_by("code").first()
    with connection.cursor() as cur:
        # The township with the median number of open cases among the county's townships.
        cur.execute(
            """
            SELECT substr(region_code, 1, 9), count(*) FROM petitions_petition
            WHERE region_code BETWEEN %s AND %s AND status IN ('registered', 'accepted', 'in_progress', 'under_review')
            GROUP BY 1 ORDER BY 2
            """,
            [county.code[:6] + "000000", county.code[:6] + "999999"],
        )
        rows = cur.fetchall()
    township_prefix, township_open = rows[len(rows) // 2]
    township = Region.objects.get(code=township_prefix + "000")
    # W1 registers its cases in a village of the last county: the township and county the
    # other workloads read are not changed by it.
    last_county = Region.objects.filter(level="county").order_by("code").last()
    village = Region.objects.filter(level="village", code__startswith=last_county.code[:6]).order_by("code").first()

    def member(region: Region, kind: str, role: str) -> User:
        return (
            Membership.objects.filter(unit__region=region, unit__kind=kind, role=role)
            .select_related("user")
            .order_by("pk")
            .first()
            .user
        )

    users = {
        "clerk": member(village, "intake", "clerk"),
        "township_supervisor": member(township, "commission", "supervisor"),
        "county_supervisor": member(county, "commission", "supervisor"),
        "province_supervisor": member(province, "commission", "supervisor"),
    }
    # Fresh tokens each run (they expire after API_TOKEN_HOURS), issued as if the code had
    # been given: the supervisors owe one, and a token without it is refused (stations.tokens).
    tokens = {name: token_issue(user=user, two_factor=True).token for name, user in users.items()}

    staff = users["county_supervisor"]
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    # A commission supervisor must sign in with two factors: the session is one that has
    # (a confirmed TOTP device, verified), so the pages measured are the real ones, not the
    # two-factor redirect. The session clock starts now (config.middleware).
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first() or TOTPDevice.objects.create(
        user=staff, name="bench", confirmed=True
    )
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = int(time.time())
    session.create()

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM petitions_petition")
        top = cur.fetchone()[0]
    rng = random.Random(7)
    ids = sorted(rng.sample(range(1, top + 1), min(LOOKUP_SAMPLE, top)))
    with connection.cursor() as cur:
        cur.execute("SELECT id, tracking_number FROM petitions_petition WHERE id = ANY(%s)", [ids])
        pairs = [(number, query_code(pk)) for pk, number in cur.fetchall()]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "lookup.txt").write_text("".join(f"{number} {code}\n" for number, code in pairs))

    fixtures = {
        "province": province.code,
        "county": county.code,
        "township": township.code,
        "township_open_cases": township_open,
        "village": village.code,
        "tokens": tokens,
        "session_cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "lookup_file": str(FIXTURES / "lookup.txt"),
        "lookup_pairs": len(pairs),
    }
    (FIXTURES / "fixtures.json").write_text(json.dumps(fixtures, indent=2))
    return fixtures


def check_lookup(pairs: int = 3) -> None:
    """Prove a few sampled codes with the service the API uses (the HMAC must match)."""
    from petitions.models import Petition
    from petitions.services import query_code_matches

    for line in (FIXTURES / "lookup.txt").read_text().splitlines()[:pairs]:
        number, code = line.split()
        petition = Petition.objects.get(tracking_number=number)
        assert query_code_matches(petition, code), f"query code of {number} does not match"
