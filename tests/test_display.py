"""The elder-friendly display switch (config/display.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_switch_is_remembered_and_the_page_says_so(client):
    response = client.post("/display/", {"elder": "1", "next": "/track/"})
    assert response.status_code == 302 and response["Location"] == "/track/"
    assert response.cookies["suqiu_elder"].value == "1" and response.cookies["suqiu_elder"]["samesite"] == "Lax"
    page = client.get("/track/").content.decode()
    assert 'class="elder"' in page and 'aria-pressed="true"' in page
    client.post("/display/", {"elder": "0", "next": "/track/"})
    assert 'class="elder"' not in client.get("/track/").content.decode()


def test_the_switch_never_sends_anyone_to_another_site(client):
    response = client.post("/display/", {"elder": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switch_takes_no_get(client):
    assert client.get("/display/?elder=1").status_code == 405
