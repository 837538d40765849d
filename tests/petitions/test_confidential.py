"""Reports against officials (涉纪涉腐): routing to the competent commission, recusal, the
reporter's and the accused's identities kept "confidential", recorded reveals, dispositions.

The story is seed 003: a villager of 新锋村 (here 东一村) gives their name at the village desk
and reports that the village Party deputy secretary pocketed 64 residents' medical-insurance
contributions; the township commission verifies it and expels him from the Party."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.errors import NotPermitted
from petitions.masking import CONFIDENTIAL
from petitions.models import Disposition, Notification, Petition, PetitionEvent
from petitions.selectors import confidential_visible, petitions_visible_to
from petitions.services import (
    petition_accept,
    petition_dispose,
    petition_escalate,
    petition_register,
    petition_reply,
    petition_reveal,
    petition_transfer,
)

pytestmark = pytest.mark.django_db

REPORTER = "字某某"
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
ACCUSED = "杨某某"
SECRETS = (REPORTER, PHONE, ID_NUMBER, ACCUSED)


@pytest.fixture
def commission(township_commission):
    return township_commission


@pytest.fixture
def report(world, categories, commission):
    """字某 reports the village deputy secretary at the 东一村 desk."""

    def _report(*accused):
        return petition_register(
            actor=world.users["clerk"],
            channel="visit",
            category=categories["discipline"],
            region=world.region("东一村"),
            title="参合金被截留",
            content="2015年度新农合参合金已上交，住院时被告知未参合。",
            complainant_name=REPORTER,
            complainant_phone=PHONE,
            complainant_id_number=ID_NUMBER,
            accused=accused or [{"name": ACCUSED, "post": "村党支部副书记"}],
        )

    return _report


def test_the_seed_report_end_to_end(client, api, world, report, commission):
    registration = report()
    case = registration.petition
    # Routed to the township commission, never to the township intake centre.
    assert case.holder_unit == commission
    assert list(case.accused.values_list("name", "post")) == [(ACCUSED, "村党支部副书记")]

    # After intake neither the clerk who logged it nor the village's other staff see who.
    for who in ("clerk", "village_handler"):
        user = world.users[who]
        assert not confidential_visible(user, case)
        client.force_login(user)
        page = client.get(reverse("petitions:case", args=[case.pk])).content.decode()
        assert str(CONFIDENTIAL) in page and not any(secret in page for secret in SECRETS)
        api.force_authenticate(user)
        detail = api.get(f"/api/v1/petitions/{case.pk}/").json()
        assert detail["complainant_name"] == str(CONFIDENTIAL)
        # A shell: not even how many people the report names.
        assert detail["accused"] == [] and detail["title"] == str(CONFIDENTIAL)
        assert api.post(f"/api/v1/petitions/{case.pk}/reveal/", {"reason": "想看"}).status_code == 403
    # The township centre (whose leadership may be involved) does not see the case at all.
    for who in ("handler", "leader"):
        client.force_login(world.users[who])
        assert client.get(reverse("petitions:case", args=[case.pk])).status_code == 404

    # The commission sees "confidential" too, until it reveals with a reason (recorded).
    officer = world.users["twp_officer"]
    api.force_authenticate(officer)
    assert api.get(f"/api/v1/petitions/{case.pk}/").json()["complainant_name"] == str(CONFIDENTIAL)
    revealed = api.post(f"/api/v1/petitions/{case.pk}/reveal/", {"reason": "核实举报内容需联系举报人"}).json()
    assert revealed["complainant_name"] == REPORTER and revealed["complainant_phone"] == PHONE
    assert revealed["accused"][0]["name"] == ACCUSED
    event = case.events.get(verb=PetitionEvent.Verb.REVEALED)
    assert (event.actor, event.public, event.note) == (officer, False, "核实举报内容需联系举报人")
    client.force_login(officer)
    page = client.post(reverse("petitions:reveal", args=[case.pk]), {"reason": "电话回访"}).content.decode()
    assert REPORTER in page and ACCUSED in page
    assert case.events.filter(verb=PetitionEvent.Verb.REVEALED).count() == 2

    # Accept, open a case, record one sanction, reply.
    petition_accept(petition_id=case.pk, actor=officer)
    petition_dispose(petition_id=case.pk, actor=officer, kind=Disposition.Kind.PRELIMINARY_VERIFICATION)
    petition_dispose(
        petition_id=case.pk,
        actor=officer,
        kind=Disposition.Kind.CASE_OPENED,
        sanctioned_count=1,
        sanction_kind=Disposition.Sanction.EXPULSION,
        note="截留64名群众2015年度参合金，开除党籍",
    )
    last = case.dispositions.last()
    assert (last.kind, last.sanctioned_count, last.sanction_kind, last.unit) == (
        "case_opened",
        1,
        "expulsion",
        commission,
    )
    disposed = case.events.filter(verb=PetitionEvent.Verb.DISPOSED)
    assert disposed.count() == 2 and not disposed.filter(public=True).exists()
    petition_reply(petition_id=case.pk, actor=officer, text="经查属实，已依规依纪处理。")

    # The resident's lookup shows only the public steps.
    client.logout()
    response = client.post("/track/", {"tracking_number": case.tracking_number, "query_code": registration.query_code})
    body = response.content.decode()
    assert [step.verb for step in response.context["case"].steps] == ["registered", "accepted", "replied"]
    assert ACCUSED not in body and "开除党籍" not in body and "case_opened" not in body


def test_naming_the_township_leader_sends_the_report_to_the_county_commission(world, report):
    leader = world.users["leader"]
    case = report(
        {"name": ACCUSED, "post": "村党支部副书记"},
        {"name": leader.full_name, "post": "镇党委书记"},
    ).petition
    assert case.holder_unit == world.units["county_commission"]
    # The recused township commission sees nothing of who, even though its region covers the case.
    assert not confidential_visible(world.users["twp_officer"], case)
    assert confidential_visible(world.users["county_officer"], case)
    # Nor can the case be transferred to it.
    petition_accept(petition_id=case.pk, actor=world.users["county_officer"])
    with pytest.raises(ValidationError) as refused:
        petition_transfer(petition_id=case.pk, actor=world.users["county_officer"], unit=world.units["east_commission"])
    assert "unit" in refused.value.message_dict


@pytest.mark.parametrize("typed", ["{name}", " {spaced} ", "{spaced_fullwidth}"])
def test_recusal_recognises_a_name_typed_with_spaces(world, report, typed):
    """A clerk may type "王 建国" or "王　建国" (a full-width space): still the township leader."""
    leader = world.users["leader"]
    name = leader.full_name
    assert len(name) >= 2
    spaced = name[0] + " " + name[1:]
    written = typed.format(name=name, spaced=spaced, spaced_fullwidth=name[0] + "\u3000" + name[1:])
    case = report({"name": written, "post": "镇党委书记"}).petition
    assert case.holder_unit == world.units["county_commission"]


def test_an_official_of_the_commission_itself_is_routed_around(world, report, commission):
    case = report({"name": "某纪检员", "post": "纪检员", "unit": commission}).petition
    assert case.holder_unit == world.units["county_commission"]


def test_a_township_official_goes_to_the_county_commission(world, report):
    case = report({"name": "某所长", "post": "财政所所长", "unit": world.units["east_finance"]}).petition
    assert case.holder_unit == world.units["county_commission"]


def test_escalation_of_a_report_goes_up_the_commissions(world, report, notification_routes):
    case = report().petition
    escalation = petition_escalate(petition_id=case.pk, now=timezone.now() + timedelta(days=60))
    assert escalation.to_unit == world.units["county_commission"]
    # Notifications carry the tracking number and unit names, never who.
    rows = list(Notification.objects.filter(petition=case))
    assert rows
    for row in rows:
        assert not any(secret in f"{row.title} {row.body} {row.url}" for secret in SECRETS)


def test_reveal_events_cannot_be_edited_or_deleted(world, report):
    case = report().petition
    event = petition_reveal(petition_id=case.pk, actor=world.users["twp_officer"], reason="核实")
    event.note = "改写"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(ValidationError):
        petition_reveal(petition_id=case.pk, actor=world.users["twp_officer"], reason=" ")
    with pytest.raises(NotPermitted):
        petition_reveal(petition_id=case.pk, actor=world.users["clerk"], reason="好奇")


def test_only_the_holding_commission_records_a_disposition(world, report):
    case = report().petition
    petition_accept(petition_id=case.pk, actor=world.users["twp_officer"])
    for who in ("clerk", "supervisor", "county_officer"):
        with pytest.raises(NotPermitted):
            petition_dispose(petition_id=case.pk, actor=world.users[who], kind="closed_no_case")
    with pytest.raises(ValidationError):
        petition_dispose(petition_id=case.pk, actor=world.users["twp_officer"], kind="case_opened", sanctioned_count=1)


def test_only_commission_staff_and_the_desk_see_the_case(world, report):
    case = report().petition
    seeing = {name for name, user in world.users.items() if petitions_visible_to(user).filter(pk=case.pk).exists()}
    # The county commission's handler sees the cases its unit holds, its supervisor the county's,
    # the city commission's supervisor the city's (a commission above covers it).
    assert seeing == {"clerk", "village_handler", "twp_officer", "supervisor", "city_supervisor", "root"}


# --- Roles × surfaces: nobody sees who in any surface without a recorded reveal ------------

ROLES = ["clerk", "village_handler", "handler", "leader", "other_clerk", "twp_officer", "supervisor", "root"]
SURFACES = ["page", "api_detail", "api_list", "api_events", "export", "search", "notifications"]


def _xlsx_text(response) -> str:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("role", ROLES)
def test_no_surface_shows_who_without_a_reveal(client, api, world, report, notification_routes, role, surface):
    case = report().petition
    petition_escalate(petition_id=case.pk, now=timezone.now() + timedelta(days=60))  # makes notifications
    user = world.users[role]
    client.force_login(user)
    api.force_authenticate(user)
    if surface == "page":
        text = client.get(reverse("petitions:case", args=[case.pk])).content.decode()
    elif surface == "api_detail":
        text = api.get(f"/api/v1/petitions/{case.pk}/").content.decode()
    elif surface == "api_list":
        text = api.get("/api/v1/petitions/").content.decode()
    elif surface == "api_events":
        text = api.get(f"/api/v1/petitions/{case.pk}/events/").content.decode()
    elif surface == "export":
        response = client.get("/staff/export/")
        text = _xlsx_text(response) if response.status_code == 200 else ""
    elif surface == "search":
        for secret in SECRETS:
            assert api.get("/api/v1/petitions/", {"q": secret}).json()["results"] == []
            page = client.get("/staff/cases/", {"q": secret}).content.decode()
            assert case.tracking_number not in page
        text = ""
    else:
        notes = Notification.objects.filter(petition=case)
        text = " ".join(f"{n.title} {n.body} {n.url}" for n in notes)
        text += client.get(reverse("petitions:notifications")).content.decode()
    assert not any(secret in text for secret in SECRETS), (role, surface)
    assert not case.events.filter(verb=PetitionEvent.Verb.REVEALED).exists()


def test_the_intake_form_takes_the_accused_and_the_receipt_keeps_the_reporter_confidential(
    client, world, categories, commission
):
    client.force_login(world.users["clerk"])
    response = client.post(
        reverse("petitions:intake"),
        {
            "complainant_name": REPORTER,
            "complainant_phone": PHONE,
            "category": categories["discipline"].pk,
            "title": "参合金被截留",
            "content": "参合金已上交，住院时被告知未参合。",
            "accused": f"{ACCUSED}，村党支部副书记",
            "region": world.region("东一村").pk,
            "channel": "visit",
            "intake_unit": world.units["east1_desk"].pk,
        },
        follow=True,
    )
    case = Petition.objects.get()
    assert case.holder_unit == commission
    assert list(case.accused.values_list("name", "post")) == [(ACCUSED, "村党支部副书记")]
    body = response.content.decode()
    assert case.tracking_number in body and REPORTER not in body


def test_the_api_registers_the_accused_and_answers_confidential(api, world, categories, commission):
    api.force_authenticate(world.users["clerk"])
    response = api.post(
        "/api/v1/petitions/",
        {
            "channel": "visit",
            "category": "discipline",
            "region": world.region("东一村").code,
            "title": "参合金被截留",
            "content": "参合金已上交，住院时被告知未参合。",
            "complainant_name": REPORTER,
            "complainant_phone": PHONE,
            "accused": [{"name": "某所长", "post": "财政所所长", "unit": world.units["east_finance"].pk}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["holder_unit"]["name"] == world.units["county_commission"].name
    assert data["complainant_name"] == str(CONFIDENTIAL) and "某所长" not in response.content.decode()


def test_the_commission_records_a_disposition_on_the_case_page(client, world, report, commission):
    case = report().petition
    officer = world.users["twp_officer"]
    petition_accept(petition_id=case.pk, actor=officer)
    case.refresh_from_db()
    url = reverse("petitions:action", args=[case.pk, "dispose"])

    # Only the commission holding the case is offered the form; the desk that logged it is not.
    client.force_login(world.users["clerk"])
    assert 'id="action-dispose"' not in client.get(reverse("petitions:case", args=[case.pk])).content.decode()
    assert client.post(url, {"version": case.version, "kind": "case_opened"}).status_code == 302
    assert not case.dispositions.exists()

    client.force_login(officer)
    assert 'id="action-dispose"' in client.get(reverse("petitions:case", args=[case.pk])).content.decode()
    # People sanctioned without the kind of sanction: refused, nothing saved.
    page = client.post(url, {"version": case.version, "kind": "case_opened", "sanctioned_count": "1"})
    assert page.status_code == 200 and not case.dispositions.exists()
    assert not case.events.filter(verb=PetitionEvent.Verb.DISPOSED).exists()

    done = client.post(
        url,
        {
            "version": case.version,
            "kind": "case_opened",
            "sanctioned_count": "1",
            "sanction_kind": "expulsion",
            "note": "开除党籍",
        },
    )
    assert done.status_code == 302
    disposition = case.dispositions.get()
    assert (disposition.kind, disposition.sanctioned_count, disposition.sanction_kind, disposition.decided_by) == (
        "case_opened",
        1,
        "expulsion",
        officer,
    )
    event = case.events.get(verb=PetitionEvent.Verb.DISPOSED)
    assert (event.actor, event.public, event.data["kind"]) == (officer, False, "case_opened")
    page = client.get(reverse("petitions:case", args=[case.pk])).content.decode()
    assert 'data-disposition="case_opened"' in page
