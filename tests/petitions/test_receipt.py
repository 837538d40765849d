"""The walk-in receipt: what was recorded, where and how to follow the case (issue 20)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from petitions.models import Petition
from tests.petitions.test_pages import walk_in

pytestmark = pytest.mark.django_db


def test_the_receipt_points_to_the_lookup_under_the_sites_own_address(client, world, categories, settings):
    settings.SUQIU_SITE_URL = "https://suqiu.example.gov.cn/"
    client.force_login(world.users["clerk"])
    receipt = client.post(reverse("petitions:intake"), walk_in(world, categories), follow=True)
    case = Petition.objects.get()
    track = f"https://suqiu.example.gov.cn/track/?n={case.tracking_number}"
    assert receipt.context["track_url"] == track and track in receipt.content.decode()
    assert "<svg" in str(receipt.context["qr"])
    # The account as recorded, for the resident to check before leaving.
    assert "东一村三组村道雨后塌方，车辆无法通行。" in receipt.content.decode()
    # Opened with the print dialog, because the button said "register and print".
    assert receipt.context["autoprint"] is True
    assert b"data-autoprint" in receipt.content


def test_without_site_url_the_receipt_uses_the_address_the_desk_reached(client, world, categories, settings):
    settings.SUQIU_SITE_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "10.8.0.5"]
    client.force_login(world.users["clerk"])
    receipt = client.post(reverse("petitions:intake"), walk_in(world, categories), follow=True, HTTP_HOST="10.8.0.5")
    case = Petition.objects.get()
    assert receipt.context["track_url"] == f"http://10.8.0.5/track/?n={case.tracking_number}"


def test_a_reprint_does_not_open_the_print_dialog_again(client, world, categories):
    client.force_login(world.users["clerk"])
    client.post(reverse("petitions:intake"), walk_in(world, categories), follow=True)
    case = Petition.objects.get()
    again = client.get(reverse("petitions:receipt", args=[case.pk]) + "?print=1")
    assert again.context["autoprint"] is False and b"data-autoprint" not in again.content


def test_a_report_against_officials_prints_no_account(client, world, categories):
    client.force_login(world.users["clerk"])
    receipt = client.post(
        reverse("petitions:intake"),
        walk_in(world, categories, category=categories["discipline"].pk, content="村支书王某截留参合金。"),
        follow=True,
    )
    assert "截留参合金" not in receipt.content.decode() and 'id="receipt-account"' not in receipt.content.decode()
