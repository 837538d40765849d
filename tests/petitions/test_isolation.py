"""A case outside your view does not exist: every case route, page and API, answers 404.

The routes are read from the URL configuration, so a route added later is covered too.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OUTSIDERS = ["other_clerk", "dept_handler", "observer", "foreign_clerk", "foreign_supervisor", "nobody"]


def case_routes() -> list[tuple[str, dict]]:
    """(url name, extra kwargs) of every route that takes a case id."""
    found = []

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                keys = set(pattern.pattern.regex.groupindex)
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                is_case = name.startswith("petitions:") or name.startswith("petition-")
                if is_case and "pk" in keys and "format" not in keys:
                    found.append((name, sorted(keys - {"pk"})))

    walk(get_resolver().url_patterns)
    return sorted({(name, tuple(keys)) for name, keys in found})


ROUTES = case_routes()


def test_the_walk_finds_the_case_routes():
    names = {name for name, _keys in ROUTES}
    assert {"petition-detail", "petition-events", "petition-accept", "petition-attachment"} <= names
    assert {"petitions:case", "petitions:action", "petitions:attachment", "petitions:receipt"} <= names
    assert len(names) >= 20


@pytest.fixture
def case(register, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    return register(attachments=[photo]).petition


def url_for(name: str, keys: tuple, case, verb: str = "accept") -> str:
    kwargs = {"pk": case.pk}
    for key in keys:
        kwargs[key] = case.attachments.get().pk if "attachment" in key else verb
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(("name", "keys"), ROUTES, ids=[name for name, _keys in ROUTES])
def test_every_case_route_is_404_outside_the_view(client, world, case, outsider, name, keys):
    client.force_login(world.users[outsider])
    url = url_for(name, keys, case)
    assert client.get(url).status_code in (404, 405), url
    response = client.post(url, {"reason": "x", "guidance": "y", "text": "z"})
    assert response.status_code in (404, 405), url
    case.refresh_from_db()
    assert case.status == "registered" and case.version == 1


def test_the_same_routes_answer_someone_who_may_see_the_case(client, world, case):
    client.force_login(world.users["handler"])
    for name, keys in ROUTES:
        if name in {"petitions:action"}:
            continue
        url = url_for(name, keys, case)
        assert client.get(url).status_code in (200, 405), url
