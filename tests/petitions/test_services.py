"""The case services on their own: registration, repeats, codes, the rules every surface shares."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.errors import InvalidState, NotPermitted
from petitions import services
from petitions.models import Attachment, Petition, PetitionEvent

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def events(petition) -> list[str]:
    return list(PetitionEvent.objects.filter(petition=petition).values_list("verb", flat=True))


def test_a_village_desk_case_goes_to_its_township_centre(world, register):
    registration = register()
    case = registration.petition
    assert case.status == "registered"
    assert case.intake_unit == world.units["east1_desk"]
    assert case.holder_unit == world.units["east_centre"]
    assert case.level == "village" and case.region_code == "990121100200"
    assert case.acceptance_due_at > timezone.now()
    event = case.events.get()
    assert (event.verb, event.actor, event.to_unit, event.public) == (
        "registered",
        world.users["clerk"],
        world.units["east_centre"],
        True,
    )


def test_the_query_code_is_random_printed_once_and_stored_only_as_a_keyed_hash(register):
    first, second = register(), register(complainant_phone="13900139000")
    assert first.query_code.isdigit() and len(first.query_code) == services.QUERY_CODE_LENGTH
    assert first.query_code != second.query_code
    case = Petition.objects.get(pk=first.petition.pk)
    assert first.query_code not in case.query_code_hash
    assert services.query_code_matches(case, first.query_code)
    assert not services.query_code_matches(case, second.query_code)
    assert services.normalize_tracking_number(case.tracking_number.replace("-", " ").lower()) == case.tracking_number


def test_a_repeat_from_the_same_phone_is_linked_and_counted(world, register, categories):
    original = register().petition
    again = register(channel="phone", title="又反映村道塌方").petition
    assert again.repeat_of == original
    original.refresh_from_db()
    assert original.repeat_count == 1
    assert "repeat" in events(again)
    # A different category from the same person is a new matter, not a repeat.
    other = register(category=categories["land"]).petition
    assert other.repeat_of is None


def test_a_repeat_by_id_number_through_another_channel_links_to_the_first_case(world, register):
    original = register(complainant_id_number="11010519491231002X").petition
    again = register(actor="handler", complainant_phone="", complainant_id_number="11010519491231002x").petition
    assert again.repeat_of == original


def test_a_case_closed_more_than_a_year_ago_is_not_a_repeat(world, register):
    old = register().petition
    Petition.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=400))
    assert register().petition.repeat_of is None


def test_filing_at_the_county_centre_first_is_level_skipping(world, register):
    from stations.services import membership_grant

    membership_grant(user=world.users["supervisor"], unit=world.units["county_centre"], role="clerk")
    case = register(actor="supervisor").petition
    assert case.level == "county" and case.level_skipping
    assert not register().petition.level_skipping


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"content": ""}, "content"),
        ({"complainant_name": ""}, "complainant_name"),
        ({"complainant_phone": "12345"}, "complainant_phone"),
        ({"complainant_id_number": "110105194912310021"}, "complainant_id_number"),
        ({"channel": "telepathy"}, "channel"),
        ({"category": None}, "category"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(register, overrides, field):
    with pytest.raises(ValidationError) as error:
        register(**overrides)
    assert field in error.value.message_dict
    assert not Petition.objects.exists() and not PetitionEvent.objects.exists()


def test_a_village_of_another_county_is_refused_for_a_county_clerk(world, register):
    from stations.services import membership_grant

    membership_grant(user=world.users["supervisor"], unit=world.units["county_centre"], role="clerk")
    with pytest.raises(ValidationError) as error:
        register(actor="supervisor", region=world.region("北一村"))
    assert "region" in error.value.message_dict


def test_only_intake_staff_register(register):
    with pytest.raises(NotPermitted):
        register(actor="dept_handler")


def test_attachments_are_checked_by_their_bytes_and_stored_under_a_generated_name(register, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("../../etc/村道.png", PNG, content_type="image/png")
    case = register(attachments=[photo]).petition
    attachment = Attachment.objects.get(petition=case)
    assert attachment.content_type == "image/png" and attachment.original_name == "村道.png"
    assert ".." not in attachment.file.name and attachment.file.name.endswith(".png")
    disguised = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        register(attachments=[disguised])
    assert "attachments" in error.value.message_dict
    settings.SUQIU_MAX_ATTACHMENT_BYTES = 32
    with pytest.raises(ValidationError):
        register(attachments=[SimpleUploadedFile("big.png", PNG, content_type="image/png")])
    assert Petition.objects.count() == 1


def test_timeline_events_cannot_be_edited_or_deleted(register):
    event = register().petition.events.get()
    event.note = "篡改"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    assert PetitionEvent.objects.get(pk=event.pk).note == ""


def test_an_illegal_transition_is_refused_and_changes_nothing(world, register):
    case = register().petition
    with pytest.raises(InvalidState) as error:
        services.petition_reply(petition_id=case.pk, actor=world.users["handler"], text="已处理")
    assert "已登记" in error.value.message  # the message is in the user's language (Chinese)
    case.refresh_from_db()
    assert case.status == "registered" and case.version == 1 and events(case) == ["registered"]


def test_a_clerk_cannot_accept_for_the_township(world, register):
    case = register().petition
    with pytest.raises(NotPermitted):
        services.petition_accept(petition_id=case.pk, actor=world.users["clerk"])


def test_unsatisfied_then_review_goes_one_level_up_within_the_window(world, register):
    handler = world.users["handler"]
    case = register().petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_reply(petition_id=case.pk, actor=handler, text="已安排修复。")
    services.petition_rate(petition_id=case.pk, actor=None, satisfaction="unsatisfied", comment="没修好")
    case.refresh_from_db()
    assert case.status == "replied" and case.satisfaction == "unsatisfied"
    services.petition_request_review(petition_id=case.pk, actor=None, reason="路还是不通")
    case.refresh_from_db()
    assert case.status == "under_review" and case.holder_unit == world.units["county_centre"]
    assert case.current_due_at is not None and case.review_count == 1
    review = case.events.get(verb="review_requested")
    assert review.public and review.from_unit == world.units["east_centre"]


def test_a_review_after_the_window_is_refused(world, register):
    handler = world.users["handler"]
    case = register().petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_reply(petition_id=case.pk, actor=handler, text="已安排修复。")
    services.petition_rate(petition_id=case.pk, actor=None, satisfaction="unsatisfied")
    Petition.objects.filter(pk=case.pk).update(replied_at=timezone.now() - timedelta(days=120))
    with pytest.raises(InvalidState):
        services.petition_request_review(petition_id=case.pk, actor=None, reason="路还是不通")


def test_satisfied_closes_and_a_second_rating_is_refused(world, register):
    handler = world.users["handler"]
    case = register().petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_reply(petition_id=case.pk, actor=handler, text="已修复。")
    services.petition_rate(petition_id=case.pk, actor=None, satisfaction="satisfied")
    case.refresh_from_db()
    assert case.status == "closed" and case.satisfaction == "satisfied"
    assert events(case)[-2:] == ["rated", "closed"]
    with pytest.raises(InvalidState):
        services.petition_rate(petition_id=case.pk, actor=None, satisfaction="unsatisfied")


def test_a_village_clerks_queue_holds_the_open_cases_of_their_desk(world, register):
    from petitions.selectors import queue_for_user

    mine = register().petition
    theirs = register(actor="other_clerk", region=world.region("西一村")).petition
    assert list(queue_for_user(world.users["clerk"])) == [mine]
    assert list(queue_for_user(world.users["handler"])) == [mine]
    assert list(queue_for_user(world.users["other_clerk"])) == [theirs]
    services.petition_settle(petition_id=mine.pk, actor=world.users["clerk"], text="当场调解")
    assert list(queue_for_user(world.users["clerk"])) == []
