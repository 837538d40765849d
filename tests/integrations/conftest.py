"""Fixtures of the integrations: keys issued through the real service, and a form poster."""

from __future__ import annotations

import pytest

from integrations.services import integration_create


@pytest.fixture
def issue_key(world, categories):
    """Issue a key (returns the integration and the key) for a region of the world."""

    def _issue(region: str = "甲县", scopes=("submit_cases",), rate: str = "600/hour", **extra):
        return integration_create(
            name=f"对接系统-{region}-{'-'.join(scopes)}",
            region=world.region(region),
            scopes=list(scopes),
            rate=rate,
            **extra,
        )

    return _issue


@pytest.fixture
def post_request(client):
    """POST a GeoReport v2 service request, form-encoded as the spec says."""

    def _post(key: str | None, **fields):
        data = {
            "service_code": "infrastructure",
            "attribute[village]": "990121100200",  # 东一村
            "description": "东一村三组路灯坏了一个月，晚上出行不便。",
            **fields,
        }
        if key is not None:
            data["api_key"] = key
        return client.post("/open311/v2/requests.json", data)

    return _post
