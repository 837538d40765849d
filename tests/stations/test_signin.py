from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_sign_in_page_is_chinese_by_default(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "工作人员登录" in page and "用户名" in page and "密码" in page


def test_english_is_one_click_away(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    page = client.get(LOGIN).content.decode()
    assert "Staff sign-in" in page and "Username" in page


def test_a_browser_asking_for_english_still_gets_chinese_first(client):
    page = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "工作人员登录" in page


def test_sign_in_leads_to_the_staff_home_with_units_and_roles(client, world, password):
    response = client.post(LOGIN, {"username": "handler", "password": password})
    assert response.status_code == 302 and response.url == "/staff/"
    page = client.get("/staff/").content.decode()
    assert "东镇群众诉求中心" in page and "承办人" in page
    assert "东一村群众诉求站" not in page


def test_a_person_with_several_roles_sees_each(client, world, password):
    from stations.services import membership_grant

    membership_grant(user=world.users["handler"], unit=world.units["east_finance"], role="handler")
    client.post(LOGIN, {"username": "handler", "password": password})
    page = client.get("/staff/").content.decode()
    assert "东镇群众诉求中心" in page and "东镇财政所" in page


def test_the_staff_home_needs_a_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_sign_out_is_a_post(client, world):
    client.force_login(world.users["clerk"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_a_wrong_password_says_so_in_chinese(client, world):
    response = client.post(LOGIN, {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_lockout_after_repeated_failures_even_with_the_right_password(client, world, password):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert client.post(LOGIN, {"username": "clerk", "password": "wrong"}).status_code == 200
    locked = client.post(LOGIN, {"username": "clerk", "password": "wrong"})
    assert locked.status_code == 429
    assert "登录已锁定" in locked.content.decode()
    # The right password no longer helps while the lock lasts.
    again = client.post(LOGIN, {"username": "clerk", "password": password})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="clerk").exists()
    # Another account on the same computer is not locked.
    assert client.post(LOGIN, {"username": "handler", "password": password}).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, world, password):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        client.post(LOGIN, {"username": "clerk", "password": "wrong"})
    assert client.post(LOGIN, {"username": "clerk", "password": password}).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(limit - 1):
        assert client.post(LOGIN, {"username": "clerk", "password": "wrong"}).status_code == 200


def test_the_token_endpoint_locks_out_too(api, world, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "clerk", "password": "wrong"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": "clerk", "password": password}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
