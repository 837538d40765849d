"""Tenant isolation of every URL that names an object (part of issue #9).

The routes are read from the URL configuration. Every route with a path parameter must be
known here — in `ROUTES` (how to make its object in 甲县/东镇), in `PUBLIC` (public by
design, with the reason) or in a family rule (the case routes walked by
tests/petitions/test_isolation.py, Django's admin, the Open311 adapter) — or
`test_every_route_with_a_parameter_is_known` fails naming it, so a new route gets covered.

For each known route, an object of 甲县/东镇 is made through our services; a clerk of
another township (`other_clerk`, 西镇) and the clerk and supervisor of another county
(`foreign_clerk`, `foreign_supervisor`, 乙县) get 404 — GET and POST alike (405 where the
method does not exist: that says nothing about the object) — and nothing changes.
Someone who may see the object gets past the 404, so the 404s are not typos.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import World
from tests.petitions.conftest import load_notification_routes
from tests.petitions.test_isolation import case_routes

pytestmark = pytest.mark.django_db

OUTSIDERS = ["other_clerk", "foreign_clerk", "foreign_supervisor"]
POST_DATA = {
    "text": "x",
    "answer": "越权的答复",
    "reason": "x",
    "score": "10",
    "texts": "越权的承诺",
    "evidence": "x",
    "description": "x",
    "deadline": "2030-01-01",
    "owner": "1",
    "phone": "13900000000",
}


@dataclass
class Objects:
    """What 甲县/东镇 holds: one of each kind, made through the services."""

    world: World
    region: object
    unit: object
    petition: object
    notice: object
    notification: object
    campaign: object  # open: its commitments and questionnaire are public by design
    draft: object  # in draft: nothing about it is public yet
    published: object  # its results are public
    participant: object
    draft_participant: object
    item: object
    referral: object  # the city handed a case of 甲县/东镇 down to the county centre
    sheet: object  # the cadre assessment sheet of 东镇财政所 (a draft: the commission's alone)
    hotspot: object  # a cluster of similar grievances (热点) of 东镇, holding the case


@dataclass(frozen=True)
class Route:
    """How to name an object of 甲县/东镇 on one route, and who may see it."""

    kwargs: Callable[[Objects], dict]
    insider: str


def _campaign(o: Objects) -> dict:
    return {"pk": o.campaign.pk}


ROUTES: dict[str, Route] = {
    # The hierarchy over the API: a clerk sees the regions and units of their own subtree.
    "region-detail": Route(lambda o: {"pk": o.region.pk}, "handler"),
    "unit-detail": Route(lambda o: {"pk": o.unit.pk}, "handler"),
    # Supervision notices (督办单): the API and the pages.
    "supervision-notice-detail": Route(lambda o: {"pk": o.notice.pk}, "supervisor"),
    "supervision-notice-answer": Route(lambda o: {"pk": o.notice.pk}, "supervisor"),
    "petitions:notice": Route(lambda o: {"notice_id": o.notice.pk}, "supervisor"),
    "petitions:notice_answer": Route(lambda o: {"notice_id": o.notice.pk}, "supervisor"),
    # A notification is its recipient's alone.
    "petitions:notification_read": Route(lambda o: {"notification_id": o.notification.pk}, "handler"),
    # Referrals (交办单): the city's, on a case of 甲县/东镇.
    **{
        name: Route(lambda o: {"pk": o.referral.pk}, "city_handler")
        for name in ("referral-detail", "referral-report", "referral-accept", "referral-return")
    },
    # Appraisals (民主评议): the API and the commission's pages.
    "appraisal-detail": Route(_campaign, "supervisor"),
    **{
        f"appraisal-{name}": Route(_campaign, "supervisor")
        for name in ("stations", "weights", "questions", "open", "start-scoring", "publish", "rectifications", "events")
    },
    **{
        f"appraisal-{name}": Route(lambda o: {"pk": o.campaign.pk, "station_id": o.participant.unit_id}, "supervisor")
        for name in ("commitments", "hearing", "veto", "report")
    },
    "appraisal-complete": Route(lambda o: {"pk": o.campaign.pk, "item_id": o.item.pk}, "supervisor"),
    "evaluations:staff_detail": Route(_campaign, "supervisor"),
    "evaluations:staff_xlsx": Route(_campaign, "supervisor"),
    "evaluations:staff_question": Route(_campaign, "supervisor"),
    "evaluations:staff_rectification": Route(_campaign, "supervisor"),
    "evaluations:staff_transition": Route(lambda o: {"pk": o.campaign.pk, "verb": "scoring"}, "supervisor"),
    "evaluations:staff_rectification_done": Route(lambda o: {"pk": o.campaign.pk, "item_pk": o.item.pk}, "supervisor"),
    **{
        f"evaluations:staff_{name}": Route(
            lambda o: {"pk": o.campaign.pk, "participant_pk": o.participant.pk}, "supervisor"
        )
        for name in ("hearing", "veto", "commitments", "report")
    },
    # The cadre link (干部考核表): the commission's pages and the API.
    **{
        name: Route(lambda o: {"pk": o.sheet.pk}, "supervisor")
        for name in (
            "evaluations:cadre_sheet",
            "evaluations:cadre_layout",
            "evaluations:cadre_finalise",
            "cadre-sheet-detail",
            "cadre-sheet-layout",
            "cadre-sheet-score",
            "cadre-sheet-finalise",
        )
    },
    "evaluations:cadre_score": Route(lambda o: {"pk": o.sheet.pk, "part_pk": o.sheet.parts.first().pk}, "supervisor"),
    # Hotspots (热点): a cluster of 东镇 sent as supervision notices, from the API and the page.
    "api-stats-hotspot-notice": Route(lambda o: {"hotspot_id": o.hotspot.pk}, "supervisor"),
    "grievances:hotspot_notice": Route(lambda o: {"hotspot_id": o.hotspot.pk}, "supervisor"),
}

# Public by design: what residents are meant to read without an account. Each is still
# 404 for a campaign that has not reached the state that makes it public (tested below).
PUBLIC: dict[str, tuple[str, Callable[[Objects], dict]]] = {
    "evaluations:public_detail": (
        "An open campaign's stations and their public commitments (公开承诺) are published for residents.",
        _campaign,
    ),
    "evaluations:questionnaire": (
        "Residents answer an open campaign's questionnaire by link or QR code, without an account.",
        lambda o: {"pk": o.campaign.pk, "participant_pk": o.participant.pk},
    ),
    "evaluations:results": ("A published campaign's results are public (结果公开).", _campaign),
    "evaluations:results_xlsx": ("The same published results, as a workbook.", _campaign),
    "appraisal-results": ("The same published results over the API (AllowAny).", _campaign),
}
# Only public once published: the open campaign's results are still private.
PUBLISHED_ONLY = {"evaluations:results", "evaluations:results_xlsx", "appraisal-results"}

# Tested by their own functions below: a token, not an id, names the object.
TOKEN_ROUTES = {"grievances:track_token", "grievances:ledger_download", "grievances:history_job"}
# Shared reference data, the same for every county: the category list (DESIGN.md §2).
SHARED = {"category-detail": "Categories are one list for every county (admin-editable data), not tenant data."}


def _walk() -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, route, path parameters) of every URL pattern that takes one."""
    found = []

    def walk(patterns, namespace=None, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(part for part in (namespace, pattern.namespace) if part) or None
                walk(pattern.url_patterns, ns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                keys = tuple(sorted(set(pattern.pattern.regex.groupindex) - {"format"}))
                if keys:
                    name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                    found.append((name or "", prefix + str(pattern.pattern), keys))

    walk(get_resolver().url_patterns)
    return found


ALL_ROUTES = _walk()
CASE_ROUTES = {name for name, _keys in case_routes()}


def _family(name: str, route: str) -> str | None:
    """The family rule that covers a route, if any."""
    if name in CASE_ROUTES:
        return "cases: tests/petitions/test_isolation.py walks every case route"
    if name.startswith("admin:") or route.startswith("admin/"):
        return "admin: Django's admin, for is_staff accounts only (tested below)"
    if name in {"evaluations:cadre_list", "evaluations:cadre_xlsx"}:
        return "a year names no object: the year's list holds only the sheets in the reader's view (test_cadre_pages)"
    if route.lstrip("^").startswith("open311/"):
        return "open311: public GeoReport data by design, confidential reports excluded (tested below)"
    return None


def test_every_route_with_a_parameter_is_known():
    unknown = sorted(
        f"{name or '(unnamed)'} ({route})"
        for name, route, _keys in ALL_ROUTES
        if name not in ROUTES
        and name not in PUBLIC
        and name not in TOKEN_ROUTES
        and name not in SHARED
        and _family(name, route) is None
    )
    assert not unknown, (
        "These routes take a path parameter but tests/test_tenant_isolation.py does not know them; "
        "add each to ROUTES (how to make its object, who may see it) or to PUBLIC with the reason: "
        + ", ".join(unknown)
    )
    # The registry names no route that is gone (a rename would silently drop its coverage).
    names = {name for name, _route, _keys in ALL_ROUTES}
    assert not (set(ROUTES) | set(PUBLIC) | TOKEN_ROUTES | set(SHARED)) - names


@pytest.fixture
def objects(world: World, register, settings, tmp_path) -> Objects:
    from evaluations import services as appraisals
    from petitions import services
    from petitions.models import Notification

    settings.MEDIA_ROOT = tmp_path
    load_notification_routes()
    users = world.users
    petition = services.petition_accept(petition_id=register().petition.pk, actor=users["handler"])
    notice = services.notice_issue(petition_id=petition.pk, actor=users["supervisor"], text="请按期办结。", days=5)
    notification = Notification.objects.filter(user=users["handler"], channel="in_app").first()
    assert notification is not None, "the notice should notify the holding unit's handler"

    today = timezone.localdate()
    made = []
    for name in ("民主评议基层站所", "草拟中的评议", "已公布的评议"):
        campaign = appraisals.campaign_create(
            actor=users["supervisor"],
            region=world.region("东镇"),
            name=name,
            year=today.year,
            period_start=today - timedelta(days=365),
            period_end=today,
            stations=[world.units["east_finance"]],
        )
        appraisals.question_add(campaign_id=campaign.pk, actor=users["supervisor"], text="办事效率")
        made.append(campaign)
    campaign, draft, published = made
    for opened in (campaign, published):
        appraisals.campaign_open(campaign_id=opened.pk, actor=users["supervisor"])
    appraisals.campaign_start_scoring(campaign_id=published.pk, actor=users["supervisor"])
    appraisals.hearing_score_set(participant_id=published.participants.get().pk, actor=users["supervisor"], score=90)
    appraisals.campaign_publish(campaign_id=published.pk, actor=users["supervisor"])
    item = appraisals.rectification_add(
        campaign_id=campaign.pk,
        actor=users["supervisor"],
        owner=world.units["east_finance"],
        description="窗口服务时间公示",
        deadline=today + timedelta(days=30),
    )
    from_city = register(actor="city_handler", channel="hotline", intake_unit=world.units["city_centre"]).petition
    referral = services.petition_hand_down(
        petition_id=from_city.pk, actor=users["city_handler"], unit=world.units["county_centre"], instructions="请核实"
    )
    from evaluations.cadre.services import cadre_sheet_create

    sheet = cadre_sheet_create(
        actor=users["supervisor"], unit=world.units["east_finance"], year=today.year, parts=[("日常监督检查", 70)]
    )
    # The nightly job's row, written straight (its wording is tests/grievances/test_hotspots.py's).
    from grievances.hotspots.models import Hotspot, HotspotCase

    hotspot = Hotspot.objects.create(
        region_code=petition.region_code,
        township_code="990121100000",
        category_id=petition.category_id,
        size=1,
        first_received_at=petition.received_at,
        last_received_at=petition.received_at,
    )
    HotspotCase.objects.create(hotspot=hotspot, petition=petition, received_at=petition.received_at)
    return Objects(
        world=world,
        sheet=sheet,
        referral=referral,
        hotspot=hotspot,
        region=world.region("东镇"),
        unit=world.units["east_finance"],
        petition=petition,
        notice=notice,
        notification=notification,
        campaign=campaign,
        draft=draft,
        published=published,
        participant=campaign.participants.get(),
        draft_participant=draft.participants.get(),
        item=item,
    )


def _fingerprint() -> dict:
    """Everything an outsider's request could change, row by row."""
    from evaluations.models import (
        AppraisalEvent,
        CadreSheet,
        CadreSheetEvent,
        CadreSheetPart,
        Campaign,
        Commitment,
        Participant,
        Question,
        RectificationItem,
    )
    from petitions.models import Notification, Petition, PetitionEvent, Referral, SupervisionNotice
    from stations.models import Region, Unit

    models = [
        Region,
        Unit,
        Petition,
        Referral,
        PetitionEvent,
        SupervisionNotice,
        Notification,
        Campaign,
        Participant,
        Question,
        Commitment,
        RectificationItem,
        AppraisalEvent,
        CadreSheet,
        CadreSheetPart,
        CadreSheetEvent,
    ]
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def _urls(name: str, kwargs: dict) -> list[str]:
    """The route, and its `.json` twin where the API router made one."""
    urls = [reverse(name, kwargs=kwargs)]
    if any(n == name and "format" in route for n, route, _keys in ALL_ROUTES):
        urls.append(reverse(name, kwargs={**kwargs, "format": "json"}))
    return urls


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_another_township_or_county_gets_404_and_changes_nothing(client, objects, outsider, name):
    client.force_login(objects.world.users[outsider])
    before = _fingerprint()
    for url in _urls(name, ROUTES[name].kwargs(objects)):
        got, posted = client.get(url).status_code, client.post(url, POST_DATA).status_code
        assert got in (404, 405) and posted in (404, 405), (url, got, posted)
        assert 404 in (got, posted), f"{url}: neither GET nor POST reached the object lookup"
    assert _fingerprint() == before


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_someone_who_may_see_the_object_gets_past_the_404(client, objects, name):
    route = ROUTES[name]
    client.force_login(objects.world.users[route.insider])
    for url in _urls(name, route.kwargs(objects)):
        assert client.get(url).status_code in (200, 405), url


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_by_design_routes_are_public_only_in_the_right_state(client, objects, name):
    reason, kwargs = PUBLIC[name]
    assert reason
    open_kwargs = kwargs(objects)
    draft_kwargs = {
        **open_kwargs,
        "pk": objects.draft.pk,
        **({"participant_pk": objects.draft_participant.pk} if "participant_pk" in open_kwargs else {}),
    }
    published_kwargs = {**open_kwargs, "pk": objects.published.pk}
    for outsider in [*OUTSIDERS, None]:
        client.logout()
        if outsider:
            client.force_login(objects.world.users[outsider])
        for url in _urls(name, draft_kwargs):
            assert client.get(url).status_code == 404, (outsider, url)
        for url in _urls(name, open_kwargs):
            expected = 404 if name in PUBLISHED_ONLY else 200
            assert client.get(url).status_code == expected, (outsider, url)
        if name in PUBLISHED_ONLY:
            for url in _urls(name, published_kwargs):
                assert client.get(url).status_code == 200, (outsider, url)


def test_a_wrong_track_token_answers_like_a_missing_one(client, objects):
    from grievances.portal.services import lookup_token_issue

    petition = objects.petition
    token = lookup_token_issue(petition=petition)
    assert petition.tracking_number in client.get(reverse("grievances:track_token", args=[token])).content.decode()

    def answer(value: str):
        response = client.get(reverse("grievances:track_token", args=[value]))
        body = response.content.decode()
        assert petition.tracking_number not in body and petition.title not in body
        return response.status_code, "track" in response.templates[0].name

    wrong = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    assert answer(wrong) == answer("x" * len(token)) == answer("nonexistent")


def test_a_ledger_download_token_opens_only_its_requesters_file(client, objects):
    from grievances.ledger import exports as ledger

    handler = objects.world.users["handler"]
    token = ledger.new_token()
    ledger.export_to_media(handler, "", token)
    url = reverse("grievances:ledger_download", args=[token])
    client.force_login(handler)
    response = client.get(url)
    assert response.status_code == 200 and response.get("Content-Disposition", "").startswith("attachment")

    # Anyone else with the same link sees what a never-issued token shows: the file is
    # looked up under their own id, so it is not there ("still being prepared", no file).
    never_issued = reverse("grievances:ledger_download", args=[ledger.new_token()])
    for outsider in OUTSIDERS:
        client.force_login(objects.world.users[outsider])
        theirs, unknown = client.get(url), client.get(never_issued)
        assert theirs.status_code == unknown.status_code != 200, outsider
        assert "Content-Disposition" not in theirs


def test_a_history_import_token_opens_only_its_requesters_job(client, objects, settings, tmp_path):
    from grievances.ledger import history
    from stations.models import Membership
    from stations.services import membership_grant
    from tests.factories import UserFactory

    settings.MEDIA_ROOT = tmp_path
    admin = objects.world.users["admin"]
    token = "0123abcd"
    history.status_write(
        admin.pk, token, state="queued", county="990121000000", upload="x", file_name="", dry_run=False
    )
    url = reverse("grievances:history_job", args=[token])
    client.force_login(admin)
    assert client.get(url).status_code == 200
    # Anyone else, an administrator of another county or a superuser included, gets a 404:
    # the status is looked up under their own id.
    b_admin = UserFactory(username="b_admin")
    membership_grant(user=b_admin, unit=objects.world.units["b_centre"], role=Membership.Role.ADMIN)
    for outsider in [*OUTSIDERS, "root"]:
        client.force_login(objects.world.users[outsider])
        assert client.get(url).status_code == 404, outsider
    client.force_login(b_admin)
    assert client.get(url).status_code == 404


def test_the_admin_is_for_staff_accounts_only(client, objects):
    """Every admin route (object ids included) sends a non-staff account to the admin sign-in."""
    from django.contrib.admin.utils import quote

    admin_routes = [(name, keys) for name, _route, keys in ALL_ROUTES if name.startswith("admin:")]
    assert admin_routes
    notice_change = reverse("admin:petitions_supervisionnotice_change", args=[quote(objects.notice.pk)])
    for outsider in OUTSIDERS:
        client.force_login(objects.world.users[outsider])
        before = _fingerprint()
        for url in (notice_change, reverse("admin:stations_region_change", args=[objects.region.pk])):
            for response in (client.get(url), client.post(url, POST_DATA)):
                assert response.status_code == 302 and "/admin/login/" in response["Location"], url
        assert _fingerprint() == before


def _open311_route() -> str | None:
    return next((route for _name, route, _keys in ALL_ROUTES if route.lstrip("^").startswith("open311/")), None)


@pytest.mark.skipif(_open311_route() is None, reason="the Open311 adapter is not installed")
def test_open311_does_not_expose_confidential_reports(client, objects, register, categories):
    """GeoReport requests are public data by design (any county's); a report against
    officials (涉纪涉腐) is not, and no request shows the complainant."""
    confidential = register(
        category=categories["discipline"],
        title="村干部侵占补贴",
        content="村主任王某侵占低保补贴。",
        complainant_name="举报人李某",
        complainant_phone="13900139000",
    ).petition
    assert confidential.category.confidential
    foreign = register(
        actor="foreign_clerk", region=objects.world.region("北一村"), title="乙县的案件", complainant_name="乙县居民"
    ).petition
    secrets = ("举报人李某", "王某", "13900139000", "乙县居民", "13800138000", "字红梅")
    for identity in (None, *OUTSIDERS):
        client.logout()
        if identity:
            client.force_login(objects.world.users[identity])
        listing = client.get("/open311/v2/requests.json")
        assert listing.status_code == 200
        assert confidential.tracking_number not in listing.content.decode()
        for petition in (confidential, foreign, objects.petition):
            response = client.get(f"/open311/v2/requests/{petition.tracking_number}.json")
            body = response.content.decode()
            assert not any(secret in body for secret in secrets), (identity, petition.title)
            if petition is confidential:
                assert response.status_code == 404, identity
                assert client.get(f"/open311/v2/requests/{petition.pk}.json").status_code == 404
            else:
                assert response.status_code == 200 and petition.tracking_number in body, (identity, petition.title)
