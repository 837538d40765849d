"""The resident portal: online submission, lookup, rating, review, the private link, the
rate limits, and what a resident can never see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grievances.portal.models import LookupToken, token_hash
from petitions.models import Attachment, Petition, PetitionEvent, Status
from petitions.services import query_code_matches

pytestmark = pytest.mark.django_db


def no_match() -> str:
    return _("No case matches this tracking number and query code. Check both on your receipt.")


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def form_data(world, categories, **overrides):
    data = {
        "category": categories["infrastructure"].pk,
        "township": world.region("东镇").pk,
        "region": world.region("东一村").pk,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方，车辆无法通行。",
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
    }
    data.update(overrides)
    return data


SUBMIT = "/submit/?county=990121000000"


# --- Submission ---------------------------------------------------------------------------------


def test_a_resident_submits_online_and_the_case_is_in_the_township_centre_queue_at_once(client, world, categories):
    response = client.post(SUBMIT, form_data(world, categories) | {"attachments": [SimpleUploadedFile("a.png", PNG)]})
    assert response.status_code == 302 and response["Location"] == reverse("grievances:submitted")
    petition = Petition.objects.get()
    assert petition.channel == "online" and petition.registered_by is None and petition.intake_unit is None
    assert petition.holder_unit == world.units["east_centre"] and petition.status == Status.REGISTERED
    assert Attachment.objects.filter(petition=petition).count() == 1
    assert LookupToken.objects.filter(petition=petition).count() == 1

    receipt = client.get(reverse("grievances:submitted"))
    assert "no-store" in receipt["Cache-Control"]
    body = receipt.content.decode()
    assert petition.tracking_number in body and "<svg" in body
    code = receipt.context["query_code"]
    assert query_code_matches(petition, code)
    assert "/track/" in receipt.context["private_url"]
    # Shown once: the codes are gone from the session after the receipt.
    assert client.get(reverse("grievances:submitted"))["Location"] == reverse("grievances:track")

    from petitions.selectors import queue_for_user

    assert list(queue_for_user(world.users["handler"])) == [petition]


def test_an_anonymous_submission_without_phone_gets_no_private_link(client, world, categories):
    data = form_data(world, categories, complainant_name="", complainant_phone="", anonymous="on")
    assert client.post(SUBMIT, data).status_code == 302
    petition = Petition.objects.get()
    assert petition.anonymous and petition.complainant_name == ""
    assert not LookupToken.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "长" * 121}, "title", "120"),
        ({"content": ""}, "content", None),
        ({"title": "   "}, "title", None),
        ({"region": "village-of-another-county"}, "region", "The village must be in this county."),
        ({"complainant_name": ""}, "complainant_name", "Give the complainant's name, or mark the case anonymous."),
        ({"complainant_phone": "12345"}, "complainant_phone", None),
    ],
)
def test_bad_input_gets_a_clear_error_and_saves_nothing(client, world, categories, overrides, field, message):
    if overrides.get("region") == "village-of-another-county":
        overrides = {"region": world.region("北一村").pk}
    response = client.post(SUBMIT, form_data(world, categories, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert any(_(message) in error for error in errors[field])
    assert Petition.objects.count() == 0 and PetitionEvent.objects.count() == 0


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_saved(client, world, categories):
    script = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")
    response = client.post(SUBMIT, form_data(world, categories) | {"attachments": [script]})
    assert response.status_code == 200
    expected = _("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF.") % {"name": "photo.jpg"}
    assert response.context["form"].errors["attachments"] == [expected]
    assert Petition.objects.count() == 0 and Attachment.objects.count() == 0


def test_the_village_list_follows_the_township_with_htmx_and_without_javascript(client, world, categories):
    htmx = client.get(
        "/submit/villages/", {"county": "990121000000", "township": world.region("西镇").pk}, HTTP_HX_REQUEST="true"
    )
    assert "西一村" in htmx.content.decode() and "东一村" not in htmx.content.decode()
    # Without JavaScript the "show the villages" button posts the form back: villages filled, no errors, nothing saved.
    response = client.post(SUBMIT, {"township": world.region("东镇").pk, "title": "村道", "pick_township": "1"})
    body = response.content.decode()
    assert response.status_code == 200 and "东二村" in body and "西一村" not in body
    assert not response.context["form"].is_bound and 'value="村道"' in body
    assert Petition.objects.count() == 0
    # Another county's township gives no villages.
    other = client.get("/submit/villages/", {"county": "990121000000", "township": world.region("北镇").pk})
    assert "北一村" not in other.content.decode()


# --- Lookup -------------------------------------------------------------------------------------


def test_lookup_shows_status_deadlines_reply_and_only_public_steps(client, replied, world):
    petition = replied.petition
    response = client.post(
        "/track/", {"tracking_number": petition.tracking_number.lower(), "query_code": replied.registration.query_code}
    )
    assert response.status_code == 200 and response["Cache-Control"].count("no-store") == 1
    body = response.content.decode()
    assert "已安排修复，预计两周内完工。" in body and 'id="rate-form"' in body
    verbs = [step.verb for step in response.context["case"].steps]
    assert verbs == ["registered", "accepted", "replied"]
    for secret in (
        "内部备注",
        "内部：先联系村委",
        "13912345678",
        "13800138000",
        world.users["handler"].get_full_name(),
        world.users["handler"].username,
        "东镇群众诉求中心",
    ):
        assert secret not in body, secret


def test_wrong_code_and_no_such_case_answer_the_same(client, replied, django_assert_num_queries):
    number = replied.petition.tracking_number
    wrong_code = client.post("/track/", {"tracking_number": number, "query_code": "00000000"})
    no_case = client.post("/track/", {"tracking_number": "20200101-ABCDEF", "query_code": "00000000"})
    assert wrong_code.status_code == no_case.status_code == 200
    assert no_match() in wrong_code.content.decode()

    def page(response):
        body = response.content.decode().replace(number, "X").replace("20200101-ABCDEF", "X")
        return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1-", body)

    assert page(wrong_code) == page(no_case)
    # The same work: one query for the case either way (then the HMAC against the real or a dummy hash).
    from grievances.portal.selectors import petition_for_codes

    with django_assert_num_queries(1):
        assert petition_for_codes(number, "00000000") is None
    with django_assert_num_queries(1):
        assert petition_for_codes("20200101-ABCDEF", "00000000") is None


def test_lookup_is_rate_limited_per_address_with_a_clear_429(client, replied, settings):
    settings.SUQIU_LOOKUP_RATE_PER_ADDRESS = "3/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "100/h"
    for n in range(3):
        assert client.post("/track/", {"tracking_number": f"2020010{n}-ABCDEF", "query_code": "1"}).status_code == 200
    blocked = client.post(
        "/track/", {"tracking_number": replied.petition.tracking_number, "query_code": replied.registration.query_code}
    )
    assert blocked.status_code == 429
    when = timezone.localtime(blocked.context["retry_at"]).strftime("%Y-%m-%d %H:%M")
    assert (
        _(
            "Too many attempts from here or for this case. Try again after %(time)s, use the private link "
            "from the SMS, or call the hotline 12345."
        )
        % {"time": when}
        in blocked.content.decode()
    )
    # Another address is not blocked.
    other = client.post(
        "/track/",
        {"tracking_number": replied.petition.tracking_number, "query_code": replied.registration.query_code},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 200


def test_lookup_is_rate_limited_per_tracking_number_across_addresses(client, replied, settings):
    settings.SUQIU_LOOKUP_RATE_PER_ADDRESS = "100/h"
    settings.SUQIU_LOOKUP_RATE_PER_CASE = "3/h"
    number = replied.petition.tracking_number
    for n in range(3):
        client.post("/track/", {"tracking_number": number, "query_code": "1"}, REMOTE_ADDR=f"10.0.1.{n}")
    right_code_new_address = client.post(
        "/track/", {"tracking_number": number, "query_code": replied.registration.query_code}, REMOTE_ADDR="10.0.2.1"
    )
    assert right_code_new_address.status_code == 429
    other_case = client.post(
        "/track/", {"tracking_number": "20200101-ABCDEF", "query_code": "1"}, REMOTE_ADDR="10.0.2.1"
    )
    assert other_case.status_code == 200


def test_submission_is_rate_limited_per_address(client, world, categories, settings):
    settings.SUQIU_SUBMIT_RATE_PER_ADDRESS = "2/h"
    for _n in range(2):
        assert client.post(SUBMIT, form_data(world, categories)).status_code == 302
    assert client.post(SUBMIT, form_data(world, categories)).status_code == 429
    assert Petition.objects.count() == 2


# --- The private link -----------------------------------------------------------------------------


def test_the_private_link_opens_the_case_and_only_its_hash_is_stored(client, replied):
    token = replied.token
    assert token and len(token) >= 43
    row = LookupToken.objects.get()
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    response = client.get(f"/track/{token}/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "已安排修复" in response.content.decode()
    assert f'name="token" value="{token}"' in response.content.decode()
    bad = client.get(f"/track/{token[:-2]}xx/")
    assert no_match() in bad.content.decode() and "已安排修复" not in bad.content.decode()


def test_an_expired_private_link_opens_nothing(client, replied):
    from django.utils import timezone

    LookupToken.objects.update(expires_at=timezone.now())
    assert no_match() in client.get(f"/track/{replied.token}/").content.decode()


# --- Rating and review ---------------------------------------------------------------------------


def test_rating_needs_the_codes_again_in_the_same_post(client, replied):
    petition = replied.petition
    response = client.post(
        "/track/rate/",
        {"tracking_number": petition.tracking_number, "query_code": "00000000", "satisfaction": "satisfied"},
    )
    assert no_match() in response.content.decode()
    petition.refresh_from_db()
    assert petition.satisfaction == "" and petition.status == Status.REPLIED


def test_a_satisfied_rating_closes_the_case(client, replied):
    petition = replied.petition
    response = client.post(
        "/track/rate/",
        {
            "tracking_number": petition.tracking_number,
            "query_code": replied.registration.query_code,
            "satisfaction": "satisfied",
            "comment": "谢谢",
        },
    )
    assert response.status_code == 200 and 'id="done"' in response.content.decode()
    petition.refresh_from_db()
    assert petition.satisfaction == "satisfied" and petition.status == Status.CLOSED
    assert petition.events.filter(verb="rated", actor=None, public=True).exists()
    again = client.post(
        "/track/rate/",
        {
            "tracking_number": petition.tracking_number,
            "query_code": replied.registration.query_code,
            "satisfaction": "unsatisfied",
        },
    )
    assert 'id="rate-form"' not in again.content.decode()
    petition.refresh_from_db()
    assert petition.satisfaction == "satisfied"


def test_unsatisfied_then_review_through_the_private_link(client, replied, world):
    petition = replied.petition
    rated = client.post("/track/rate/", {"token": replied.token, "satisfaction": "unsatisfied"})
    assert 'id="review-form"' in rated.content.decode()
    empty = client.post("/track/review/", {"token": replied.token, "reason": ""})
    assert empty.status_code == 400
    petition.refresh_from_db()
    assert petition.status == Status.REPLIED
    response = client.post("/track/review/", {"token": replied.token, "reason": "路还是没修好"})
    assert response.status_code == 200
    petition.refresh_from_db()
    assert petition.status == Status.UNDER_REVIEW and petition.holder_unit == world.units["county_centre"]
    assert petition.events.filter(verb="review_requested", actor=None).exists()


def test_review_is_refused_after_a_satisfied_rating(client, replied):
    petition = replied.petition
    proof = {"tracking_number": petition.tracking_number, "query_code": replied.registration.query_code}
    client.post("/track/rate/", proof | {"satisfaction": "basically_satisfied"})
    response = client.post("/track/review/", proof | {"reason": "再看看"})
    assert response.status_code == 409
    petition.refresh_from_db()
    assert petition.status == Status.CLOSED and petition.review_count == 0


# --- Home, schedule, statistics --------------------------------------------------------------------


def test_the_home_page_lists_counties_then_the_chosen_countys_schedule(client, world):
    from stations.demo import load_demo_reception_schedule

    load_demo_reception_schedule(world.region("甲县"))
    choose = client.get("/")
    assert "?county=990121000000" in choose.content.decode() and "?county=990122000000" in choose.content.decode()
    home = client.get("/?county=990121000000")
    body = home.content.decode()
    assert "县纪委领导班子成员" in body and "12388" in body and "12345" in body
    assert "2、5、8" in body
    assert 'href="/submit/?county=990121000000"' in body


def test_the_home_page_loads_nothing_from_outside_and_weighs_under_200_kb(client, world):
    import re

    from django.contrib.staticfiles import finders

    body = client.get("/?county=990121000000").content.decode()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", body), "no asset from outside the app"
    assets = re.findall(r"""<(?:script[^>]+src|link[^>]+href)=["'](/static/[^"']+)""", body)
    assert any(a.endswith(".css") for a in assets) and not any("echarts" in a for a in assets)
    total = len(body.encode()) + sum(Path(finders.find(a.removeprefix("/static/"))).stat().st_size for a in assets)
    assert total < 200 * 1024, total


def test_published_statistics_are_aggregates_with_pinned_queries(
    client, replied, submit_online, world, categories, django_assert_max_num_queries
):
    submit_online(category=categories["land"], region=world.region("西一村"), title="土地纠纷")
    proof = {"tracking_number": replied.petition.tracking_number, "query_code": replied.registration.query_code}
    client.post("/track/rate/", proof | {"satisfaction": "satisfied"})
    from grievances.portal.selectors import county_statistics

    with django_assert_max_num_queries(5):
        stats = county_statistics(world.region("甲县"))
    assert stats.total == 2 and stats.answered == 1 and stats.on_time == 1 and stats.rated == 1
    assert dict(stats.by_township) == {"东镇": 1, "西镇": 1}
    assert sorted(n for _name, n in stats.by_category) == [1, 1]
    assert stats.satisfied_rate == 100.0
    page = client.get("/statistics/?county=990121000000").content.decode()
    assert "字红梅" not in page and "13800138000" not in page and "村道塌方" not in page
    assert 'id="stat-total">2<' in page


def test_a_confidential_report_shows_the_resident_that_it_was_handled_and_the_reply(
    client, submit_online, world, categories
):
    """Issue #8: the resident sees the public steps and the reply addressed to them — not
    the commission's notes, its disposition or the sanction."""
    from petitions.models import Disposition
    from petitions.services import petition_accept, petition_dispose, petition_note, petition_reply
    from stations.models import Membership
    from stations.services import membership_grant
    from tests.factories import UserFactory

    submission = submit_online(category=categories["discipline"], content="村支书截留参合金")
    petition = submission.petition
    officer = UserFactory(username="officer")
    membership_grant(user=officer, unit=petition.holder_unit, role=Membership.Role.HANDLER)
    petition_accept(petition_id=petition.pk, actor=officer)
    petition_note(petition_id=petition.pk, actor=officer, text="已约谈杨某", public=True)
    petition_dispose(
        petition_id=petition.pk,
        actor=officer,
        kind=Disposition.Kind.CASE_OPENED,
        sanctioned_count=1,
        sanction_kind=Disposition.Sanction.EXPULSION,
        note="给予杨某开除党籍处分",
    )
    petition_reply(petition_id=petition.pk, actor=officer, text="您反映的问题已查实，相关人员已受到严肃处理。")
    response = client.post(
        "/track/", {"tracking_number": petition.tracking_number, "query_code": submission.registration.query_code}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "您反映的问题已查实，相关人员已受到严肃处理。" in body
    assert "杨某" not in body and "开除党籍" not in body
    case = response.context["case"]
    assert [step.verb for step in case.steps] == ["registered", "accepted", "replied"]
    assert [step.note for step in case.steps if step.verb != "replied"] == ["", ""]
