"""Roles given and taken away are audited (MembershipEvent), through the services and the admin alike."""

from __future__ import annotations

import logging

import pytest
from django.forms import MultiWidget
from django.urls import reverse

from stations.models import Membership, MembershipEvent
from stations.services import membership_grant, membership_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _events() -> list[tuple]:
    return list(
        MembershipEvent.objects.order_by("id").values_list("verb", "user__username", "unit_id", "role", "actor")
    )


def _post_data(response) -> dict:
    """What the browser sends back for the admin page `response`, fields as shown."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(field.field.widget, MultiWidget):
                for i, part in enumerate(field.field.widget.decompress(value)):
                    data[f"{field.html_name}_{i}"] = "" if part is None else part
            elif isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif value is not None:
                data[field.html_name] = value
    return data


def test_the_services_record_every_grant_and_revocation_and_nothing_else(world, caplog):
    clerk, commission, root = world.users["clerk"], world.units["county_commission"], world.users["root"]
    before = MembershipEvent.objects.count()
    with caplog.at_level(logging.INFO, logger="suqiu.security"):
        membership_grant(user=clerk, unit=commission, role=Membership.Role.HANDLER, actor=root)
        membership_grant(user=clerk, unit=commission, role=Membership.Role.HANDLER, actor=root)  # held: no row
        assert membership_revoke(user=clerk, unit=commission, role=Membership.Role.HANDLER)
        assert not membership_revoke(user=clerk, unit=commission, role=Membership.Role.HANDLER)  # not held
    assert _events()[before:] == [
        ("granted", "clerk", commission.pk, "handler", root.pk),
        ("revoked", "clerk", commission.pk, "handler", None),
    ]
    audit = [r.getMessage() for r in caplog.records if r.name == "suqiu.security"]
    assert audit == [
        f"role granted user=clerk unit={commission.pk} role=handler by=root",
        f"role revoked user=clerk unit={commission.pk} role=handler by=-",
    ]
    event = MembershipEvent.objects.latest("id")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()


def test_a_commission_role_given_and_taken_in_the_roles_list_is_audited(client, world):
    officer, commission, root = UserFactory(username="officer"), world.units["county_commission"], world.users["root"]
    client.force_login(root)
    added = client.post(
        reverse("admin:stations_membership_add"), {"user": officer.pk, "unit": commission.pk, "role": "supervisor"}
    )
    assert added.status_code == 302, added.context and added.context["adminform"].form.errors
    membership = Membership.objects.get(user=officer)
    assert (membership.unit, membership.role) == (commission, "supervisor")
    assert _events()[-1] == ("granted", "officer", commission.pk, "supervisor", root.pk)

    # A role is not edited in place (that would be a revocation and a grant unrecorded).
    change = reverse("admin:stations_membership_change", args=[membership.pk])
    assert client.post(change, {"user": officer.pk, "unit": commission.pk, "role": "observer"}).status_code == 403

    deleted = client.post(reverse("admin:stations_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not Membership.objects.filter(user=officer).exists()
    assert _events()[-1] == ("revoked", "officer", commission.pk, "supervisor", root.pk)

    membership_grant(user=officer, unit=commission, role=Membership.Role.OBSERVER)
    bulk = client.post(
        reverse("admin:stations_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [Membership.objects.get(user=officer).pk], "post": "yes"},
    )
    assert bulk.status_code == 302
    assert not Membership.objects.filter(user=officer).exists()
    assert _events()[-1] == ("revoked", "officer", commission.pk, "observer", root.pk)


def test_a_commission_role_given_and_taken_on_the_units_page_is_audited(client, world):
    officer, commission, root = UserFactory(username="officer"), world.units["county_commission"], world.users["root"]
    client.force_login(root)
    url = reverse("admin:stations_unit_change", args=[commission.pk])
    page = client.get(url)
    data = _post_data(page)
    prefix = "memberships"
    rows = int(data[f"{prefix}-TOTAL_FORMS"])
    data |= {
        f"{prefix}-TOTAL_FORMS": rows + 1,
        f"{prefix}-{rows}-user": officer.pk,
        f"{prefix}-{rows}-unit": commission.pk,
        f"{prefix}-{rows}-role": "handler",
    }
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and [f.errors for f in saved.context["inline_admin_formsets"]]
    assert Membership.objects.filter(user=officer, unit=commission, role="handler").exists()
    assert _events()[-1] == ("granted", "officer", commission.pk, "handler", root.pk)

    data = _post_data(client.get(url))
    row = next(
        i
        for i in range(int(data[f"{prefix}-TOTAL_FORMS"]))
        if data.get(f"{prefix}-{i}-user") == officer.pk and data.get(f"{prefix}-{i}-role") == "handler"
    )
    data[f"{prefix}-{row}-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not Membership.objects.filter(user=officer).exists()
    assert _events()[-1] == ("revoked", "officer", commission.pk, "handler", root.pk)


def test_role_changes_are_view_only_in_the_admin(client, world):
    client.force_login(world.users["root"])
    event = MembershipEvent.objects.latest("id")
    assert client.get(reverse("admin:stations_membershipevent_changelist")).status_code == 200
    change = reverse("admin:stations_membershipevent_change", args=[event.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"role": "admin"}).status_code == 403
    assert (
        client.post(reverse("admin:stations_membershipevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:stations_membershipevent_add")).status_code == 403
    assert MembershipEvent.objects.filter(pk=event.pk, role=event.role).exists()
