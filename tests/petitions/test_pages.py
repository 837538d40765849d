"""The staff case pages, driven the way people use them: through forms and links.

Every step checks what changed on the case and the timeline row it wrote. Texts the lead
has not translated yet are checked through element ids and data, not their wording.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext

from petitions.models import Assignment, Attachment, Petition, PetitionEvent
from petitions.services import query_code_matches
from stations.models import Membership
from stations.services import membership_grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finance_handler(world):
    """A handler of 东镇财政所, the station the township assigns cases to."""
    user = UserFactory(username="finance_handler")
    membership_grant(user=user, unit=world.units["east_finance"], role=Membership.Role.HANDLER)
    return user


def as_user(client, user):
    client.force_login(user)
    return client


def walk_in(world, categories, **overrides):
    data = {
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
        "complainant_id_number": "",
        "category": categories["infrastructure"].pk,
        "title": "村道塌方",
        "content": "东一村三组村道雨后塌方，车辆无法通行。",
        "region": world.region("东一村").pk,
        "channel": "visit",
        "intake_unit": world.units["east1_desk"].pk,
    }
    data.update(overrides)
    return data


def act(client, petition: Petition, verb: str, **data):
    """Post one action form the way the case page does: with the version the person saw."""
    petition.refresh_from_db()
    data.setdefault("version", petition.version)
    return client.post(f"/staff/cases/{petition.pk}/{verb}/", data)


def verbs(petition: Petition) -> list[str]:
    return list(PetitionEvent.objects.filter(petition=petition).order_by("id").values_list("verb", flat=True))


def last_event(petition: Petition) -> PetitionEvent:
    return PetitionEvent.objects.filter(petition=petition).select_related("actor", "to_unit").latest("id")


def action_panels(html: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z-]+)"', html))


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


# --- The whole life of a walk-in, page by page --------------------------------------------


def test_a_walk_in_is_logged_accepted_assigned_co_handled_replied_rated_and_closed(
    client, world, categories, finance_handler
):
    clerk, handler = world.users["clerk"], world.users["handler"]
    as_user(client, clerk)

    form = client.get("/staff/intake/")
    html = form.content.decode()
    assert form.status_code == 200
    assert re.search(r'name="complainant_name"[^>]*autofocus', html), "the cursor starts in the first field"
    assert re.search(rf'<option value="{world.region("东一村").pk}" selected>东一村</option>', html)
    assert '<option value="visit" selected>' in html
    assert '<optgroup label="东镇">' in html

    photo = SimpleUploadedFile("塌方.png", PNG, content_type="image/png")
    response = client.post("/staff/intake/", walk_in(world, categories, attachments=[photo]))
    petition = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{petition.pk}/receipt/?print=1"
    assert petition.status == "registered" and petition.holder_unit == world.units["east_centre"]
    assert petition.intake_unit == world.units["east1_desk"] and petition.channel == "visit"
    event = last_event(petition)
    assert verbs(petition) == ["registered"] and event.actor == clerk and event.to_unit == world.units["east_centre"]
    assert petition.attachments.get().original_name == "塌方.png"

    # The receipt shows the query code once; a reload says it cannot be shown again.
    receipt = client.get(f"/staff/cases/{petition.pk}/receipt/").content.decode()
    assert petition.tracking_number in receipt
    code = re.search(r'id="query-code">(\d{8})<', receipt).group(1)
    assert query_code_matches(petition, code)
    assert petition.acceptance_due_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in receipt
    again = client.get(f"/staff/cases/{petition.pk}/receipt/").content.decode()
    assert petition.tracking_number in again and code not in again and 'id="query-code-gone"' in again

    # The clerk cannot accept; the township handler can.
    assert action_panels(client.get(f"/staff/cases/{petition.pk}/").content.decode()) == {"settle", "note"}
    as_user(client, handler)
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert {"accept", "reject"} <= action_panels(page)
    assert 'name="version" value="1"' in page

    response = act(client, petition, "accept")
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == "accepted" and petition.due_at is not None
    assert last_event(petition).verb == "accepted" and last_event(petition).actor == handler

    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert {"assign", "transfer"} <= action_panels(page) and "accept" not in action_panels(page)
    assert f'<option value="{world.units["east_finance"].pk}">东镇财政所</option>' in page
    assert "北一村群众诉求站" not in page, "only units of the case's county are offered"
    response = act(
        client, petition, "assign", unit=world.units["east_finance"].pk, co_units=[world.units["civil_affairs"].pk]
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == "in_progress" and petition.holder_unit == world.units["east_finance"]
    event = last_event(petition)
    assert event.verb == "assigned" and event.to_unit == world.units["east_finance"]
    assert event.data == {"co_units": [world.units["civil_affairs"].pk]}

    # The co-handling department replies on its part; the case stays in progress.
    as_user(client, world.users["dept_handler"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert "co-reply" in action_panels(page) and "reply" not in action_panels(page)
    assert act(client, petition, "co-reply", text="民政局已核实受损农户，纳入临时救助。").status_code == 302
    petition.refresh_from_db()
    part = Assignment.objects.get(petition=petition, unit=world.units["civil_affairs"], active=True)
    assert part.replied_at is not None and part.reply_text.startswith("民政局已核实")
    assert petition.status == "in_progress" and last_event(petition).verb == "co_replied"

    # The lead unit replies: the case is replied.
    as_user(client, finance_handler)
    assert "reply" in action_panels(client.get(f"/staff/cases/{petition.pk}/").content.decode())
    assert act(client, petition, "reply", text="已安排施工队抢修，三日内恢复通行。").status_code == 302
    petition.refresh_from_db()
    assert petition.status == "replied" and petition.reply_text.startswith("已安排施工队")
    assert last_event(petition).verb == "replied" and last_event(petition).public

    # The village desk records the rating the resident gave by phone: satisfied closes it.
    as_user(client, clerk)
    assert "rate" in action_panels(client.get(f"/staff/cases/{petition.pk}/").content.decode())
    assert act(client, petition, "rate", satisfaction="satisfied", comment="修得快").status_code == 302
    petition.refresh_from_db()
    assert petition.status == "closed" and petition.satisfaction == "satisfied"
    assert verbs(petition)[-2:] == ["rated", "closed"]
    assert verbs(petition) == ["registered", "accepted", "assigned", "co_replied", "replied", "rated", "closed"]

    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert 'id="no-actions"' in page
    assert page.count('data-verb="') == 7
    assert "已安排施工队抢修" in page and "民政局已核实受损农户" in page


def test_the_attachment_is_served_only_to_people_who_may_see_the_case(client, world, categories):
    as_user(client, world.users["clerk"])
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    client.post("/staff/intake/", walk_in(world, categories, attachments=[photo]))
    petition = Petition.objects.get()
    attachment = petition.attachments.get()
    url = f"/staff/cases/{petition.pk}/attachments/{attachment.pk}/"
    assert url in client.get(f"/staff/cases/{petition.pk}/").content.decode()

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG

    as_user(client, world.users["other_clerk"])
    assert client.get(url).status_code == 404
    assert client.get(f"/staff/cases/{petition.pk}/").status_code == 404
    assert client.get(f"/staff/cases/{petition.pk}/receipt/").status_code == 404
    assert act(client, petition, "note", text="看看").status_code == 404
    assert verbs(petition) == ["registered"]


def test_personal_data_is_masked_for_a_unit_that_only_co_handles(client, world, register):
    petition = register(complainant_id_number="11010519491231002X").petition
    as_user(client, world.users["handler"])
    act(client, petition, "accept")
    act(client, petition, "assign", unit=world.units["east_finance"].pk, co_units=[world.units["civil_affairs"].pk])

    as_user(client, world.users["clerk"])  # the desk that took it in
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert "13800138000" in page and "11010519491231002X" in page

    as_user(client, world.users["dept_handler"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert "13800138000" not in page and "138****8000" in page
    assert "11010519491231002X" not in page and "1101**********002X" in page


# --- Other paths ----------------------------------------------------------------------------


def test_a_case_not_accepted_tells_the_resident_where_to_go(client, world, register):
    petition = register().petition
    as_user(client, world.users["handler"])

    response = act(client, petition, "reject", reason="属于法院受理范围", guidance="")
    assert response.status_code == 200, "the form comes back with the error"
    assert 'id="action-reject" open' in response.content.decode()
    assert response.context["panels"][1]["form"].errors["guidance"]
    petition.refresh_from_db()
    assert petition.status == "registered" and verbs(petition) == ["registered"]

    response = act(client, petition, "reject", reason="属于法院受理范围", guidance="请向县人民法院立案庭提出。")
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == "rejected" and petition.rejection_guidance == "请向县人民法院立案庭提出。"
    event = last_event(petition)
    assert event.verb == "rejected" and event.note == "属于法院受理范围"
    assert event.data == {"guidance": "请向县人民法院立案庭提出。"} and event.public
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert 'id="guidance"' in page and "请向县人民法院立案庭提出。" in page


def test_a_small_matter_is_registered_and_settled_on_the_spot_in_one_step(client, world, categories):
    as_user(client, world.users["clerk"])
    data = walk_in(
        world,
        categories,
        category=categories["neighbour_dispute"].pk,
        title="邻里排水纠纷",
        settle="on",
        settle_text="",
    )
    response = client.post("/staff/intake/", data)
    assert response.status_code == 200 and response.context["form"].errors["settle_text"]
    assert Petition.objects.count() == 0

    data["settle_text"] = "村调解员现场调解，双方同意共同疏通排水沟。"
    response = client.post("/staff/intake/", data)
    petition = Petition.objects.get()
    assert response["Location"] == f"/staff/cases/{petition.pk}/receipt/?print=1"
    assert petition.status == "closed" and petition.settled_on_the_spot
    assert petition.reply_text == data["settle_text"]
    assert verbs(petition) == ["registered", "settled", "closed"]
    assert last_event(petition).actor == world.users["clerk"]
    receipt = client.get(response["Location"]).content.decode()
    assert 'id="query-code"' in receipt and data["settle_text"] in receipt and 'id="acceptance-due"' not in receipt


def test_a_case_transferred_to_a_unit_that_is_not_competent_is_returned(client, world, register, finance_handler):
    petition = register().petition
    as_user(client, world.users["handler"])
    act(client, petition, "accept")

    assert (
        act(client, petition, "transfer", unit=world.units["east_finance"].pk, note="请财政所办理").status_code == 302
    )
    petition.refresh_from_db()
    assert petition.holder_unit == world.units["east_finance"] and petition.status == "in_progress"
    event = last_event(petition)
    assert event.verb == "transferred" and event.to_unit == world.units["east_finance"] and event.note == "请财政所办理"

    as_user(client, finance_handler)
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert "return" in action_panels(page)
    assert act(client, petition, "return", reason="道路不归财政所管").status_code == 302
    petition.refresh_from_db()
    assert petition.holder_unit == world.units["east_centre"] and petition.status == "accepted"
    event = last_event(petition)
    assert event.verb == "returned" and event.to_unit == world.units["east_centre"]
    assert event.note == "道路不归财政所管"
    # The station still sees the case it held, but can do nothing with it now.
    assert 'id="no-actions"' in client.get(f"/staff/cases/{petition.pk}/").content.decode()


def test_an_extension_is_asked_for_and_approved_by_the_supervisor(client, world, register, finance_handler):
    petition = register().petition
    as_user(client, world.users["handler"])
    act(client, petition, "accept")
    act(client, petition, "assign", unit=world.units["east_finance"].pk)
    petition.refresh_from_db()
    due = petition.due_at

    as_user(client, finance_handler)
    assert act(client, petition, "request-extension", days=10, reason="需等待评估报告").status_code == 302
    assert last_event(petition).verb == "extension_requested"

    as_user(client, world.users["supervisor"])
    page = client.get(f"/staff/cases/{petition.pk}/").content.decode()
    assert {"approve-extension", "refuse-extension"} <= action_panels(page) and "需等待评估报告" in page
    assert act(client, petition, "approve-extension").status_code == 302
    petition.refresh_from_db()
    assert petition.due_at > due and petition.extended_days == 10
    assert last_event(petition).verb == "extension_approved"


def test_a_note_is_added_and_can_be_shown_to_the_resident(client, world, register):
    petition = register().petition
    as_user(client, world.users["clerk"])
    assert act(client, petition, "note", text="已电话告知反映人登记情况", public="on").status_code == 302
    event = last_event(petition)
    assert event.verb == "note" and event.public and event.note == "已电话告知反映人登记情况"


# --- Bad input changes nothing -----------------------------------------------------------------


def test_a_walk_in_without_content_is_refused_next_to_the_field(client, world, categories):
    as_user(client, world.users["clerk"])
    response = client.post("/staff/intake/", walk_in(world, categories, content=""))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["content"]
    html = response.content.decode()
    assert re.search(r'id="field-id_content">.*?class="field-error"', html, re.S)
    assert zh("This field is required.") == "该字段是必填项。" and "该字段是必填项。" in html
    assert Petition.objects.count() == 0


def test_a_crafted_village_outside_the_clerks_county_is_refused(client, world, categories):
    as_user(client, world.users["clerk"])
    response = client.post("/staff/intake/", walk_in(world, categories, region=world.region("北一村").pk))
    assert response.status_code == 200 and list(response.context["form"].errors) == ["region"]
    assert Petition.objects.count() == 0


def test_a_crafted_intake_unit_the_clerk_does_not_work_at_is_refused(client, world, categories):
    as_user(client, world.users["clerk"])
    response = client.post("/staff/intake/", walk_in(world, categories, intake_unit=world.units["east_centre"].pk))
    assert response.status_code == 200 and "intake_unit" in response.context["form"].errors
    assert Petition.objects.count() == 0


def test_a_script_disguised_as_a_photo_is_refused_and_nothing_is_saved(client, world, categories, settings):
    as_user(client, world.users["clerk"])
    fake = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho pwned\n", content_type="image/jpeg")
    response = client.post("/staff/intake/", walk_in(world, categories, attachments=[fake]))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["attachments"]
    assert "photo.jpg" in response.context["form"].errors["attachments"][0]
    assert Petition.objects.count() == 0 and Attachment.objects.count() == 0
    assert PetitionEvent.objects.count() == 0


def test_someone_without_an_intake_unit_cannot_open_the_intake_form(client, world):
    as_user(client, world.users["dept_handler"])
    assert client.get("/staff/intake/").status_code == 403
    assert "/staff/intake/" not in client.get("/staff/").content.decode()
    as_user(client, world.users["clerk"])
    assert "/staff/intake/" in client.get("/staff/").content.decode()


def test_acting_on_a_stale_version_shows_a_message_and_changes_nothing(client, world, register):
    petition = register().petition
    seen = petition.version
    as_user(client, world.users["clerk"])
    act(client, petition, "note", text="反映人又来电补充情况")  # someone else acts meanwhile

    as_user(client, world.users["handler"])
    response = act(client, petition, "accept", version=seen)
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{petition.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"] == [
        zh("Someone else changed this case a moment ago. Reload it and try again.")
    ]
    petition.refresh_from_db()
    assert petition.status == "registered" and verbs(petition) == ["registered", "note"]


def test_an_action_the_user_may_not_take_is_refused_with_a_message(client, world, register):
    petition = register().petition
    as_user(client, world.users["clerk"])
    response = act(client, petition, "accept")
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    petition.refresh_from_db()
    assert petition.status == "registered" and verbs(petition) == ["registered"]
    assert client.post(f"/staff/cases/{petition.pk}/explode/", {"version": 1}).status_code == 404
    assert client.get(f"/staff/cases/{petition.pk}/accept/").status_code == 405


# --- Lists: bounded, sorted, one query for all the rows --------------------------------------


@pytest.fixture
def fifty_cases(world, register):
    cases = [register(title=f"村道塌方 {n}").petition for n in range(50)]
    # Two are late: the queue puts them on top, marked.
    late = cases[10:12]
    Petition.objects.filter(pk__in=[p.pk for p in late]).update(current_due_at=timezone.now() - timedelta(days=1))
    return cases, late


def test_my_queue_puts_overdue_cases_first_with_a_fixed_number_of_queries(
    client, world, fifty_cases, django_assert_max_num_queries
):
    cases, late = fifty_cases
    as_user(client, world.users["handler"])
    with django_assert_max_num_queries(8):
        response = client.get("/staff/queue/")
    html = response.content.decode()
    rows = re.findall(r'<tr class="([^"]*)" data-case="(\d+)"', html)
    assert len(rows) == 50
    assert {int(pk) for _cls, pk in rows[:2]} == {p.pk for p in late}
    assert all(cls == "is-overdue" for cls, _pk in rows[:2]) and all(cls == "" for cls, _pk in rows[2:])
    assert html.count('data-overdue="1"') == 2
    assert cases[0].tracking_number in html and "东镇群众诉求中心" in html

    as_user(client, world.users["other_clerk"])
    assert 'id="queue-empty"' in client.get("/staff/queue/").content.decode()


def test_the_case_list_filters_pages_and_keeps_its_query_count(
    client, world, fifty_cases, django_assert_max_num_queries
):
    cases, late = fifty_cases
    as_user(client, world.users["clerk"])
    with django_assert_max_num_queries(10):
        response = client.get("/staff/cases/")
    html = response.content.decode()
    assert len(re.findall(r'data-case="(\d+)"', html)) == 50
    assert 'rel="next"' not in html

    with django_assert_max_num_queries(10):
        response = client.get("/staff/cases/?overdue=true")
    assert {int(pk) for pk in re.findall(r'data-case="(\d+)"', response.content.decode())} == {p.pk for p in late}

    response = client.get("/staff/cases/", {"q": cases[3].tracking_number.replace("-", "")})
    assert re.findall(r'data-case="(\d+)"', response.content.decode()) == [str(cases[3].pk)]
    response = client.get("/staff/cases/", {"q": "塌方 7"})
    assert re.findall(r'data-case="(\d+)"', response.content.decode()) == [str(cases[7].pk)]
    response = client.get("/staff/cases/", {"status": ["registered"], "category": ["infrastructure"]})
    assert len(re.findall(r'data-case="', response.content.decode())) == 50
    response = client.get("/staff/cases/", {"status": ["closed"]})
    assert 'id="no-cases"' in response.content.decode()
    response = client.get("/staff/cases/", {"region": "990121101"})  # 西镇: none of these
    assert 'id="no-cases"' in response.content.decode()
    response = client.get("/staff/cases/", {"region": "99x"})
    assert response.context["filter"].form.errors["region"]

    # The other township's clerk sees none of them.
    as_user(client, world.users["other_clerk"])
    assert 'id="no-cases"' in client.get("/staff/cases/").content.decode()


def test_the_case_list_is_paged_without_counting_every_row(client, world, register, settings):
    from petitions import views

    cases = [register(title=f"路灯不亮 {n}").petition for n in range(views.PAGE_SIZE + 3)]
    as_user(client, world.users["clerk"])
    first = client.get("/staff/cases/").content.decode()
    assert len(re.findall(r'data-case="', first)) == views.PAGE_SIZE and 'rel="next"' in first
    second = client.get("/staff/cases/?page=2").content.decode()
    assert {int(pk) for pk in re.findall(r'data-case="(\d+)"', second)} == {p.pk for p in cases[:3]}
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/staff/cases/?page=abc").status_code == 200


def test_the_filter_answers_htmx_with_the_results_only(client, world, register):
    register()
    as_user(client, world.users["clerk"])
    response = client.get("/staff/cases/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html


def test_the_case_list_rows_show_each_cell_escaped(client, world, register):
    late = register(title='<script>alert("x")</script> & 村道').petition
    Petition.objects.filter(pk=late.pk).update(current_due_at=timezone.now() - timedelta(days=1))
    on_time = register(title="路灯不亮").petition
    as_user(client, world.users["clerk"])

    html = client.get("/staff/cases/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 村道" in html
    row = re.search(rf'<tr class="is-overdue" data-case="{late.pk}">(.*?)</tr>', html).group(1)
    assert f'href="/staff/cases/{late.pk}/"' in row and late.tracking_number in row
    assert "基础设施" in row and "东一村" in row and "来访" in row and "东镇群众诉求中心" in row
    assert '<span class="badge status-registered">已登记</span>' in row and 'data-overdue="1">已逾期<' in row
    assert timezone.localdate(late.created_at).isoformat() in row
    other = re.search(rf'<tr class="" data-case="{on_time.pk}">(.*?)</tr>', html).group(1)
    assert "data-overdue" not in other and timezone.localdate(on_time.current_due_at).isoformat() in other
