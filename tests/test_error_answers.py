"""Every error the app or DRF answers is in the reader's language (Chinese unless the language
cookie asks for English), never a 500 for bad input: pages get an HTML page, the API
`{"detail": ..., "code": ...}`, and nothing is changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from petitions.models import Petition

pytestmark = pytest.mark.django_db

SUBMIT_API = "/api/v1/public/petitions/"
SUBMIT_PAGE = "/submit/?county=990121000000"
MB = 1024 * 1024


def english(client):
    client.cookies["suqiu_language"] = "en"
    return client


def submission(**overrides) -> dict:
    return {
        "county": "990121000000",
        "category": "infrastructure",
        "region": "990121100200",
        "title": "村道塌方",
        "content": "雨后塌方。",
        "complainant_name": "字红梅",
        "complainant_phone": "13800138000",
        **overrides,
    }


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code"}
    return body


def page_of(response, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- The API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000], ids=["array", "object"])
def test_a_json_body_nested_5000_deep_is_a_parse_error(body, world, categories):
    answer = error_of(APIClient().post(SUBMIT_API, body, content_type="application/json"), 400)
    assert answer == {"detail": "请求正文嵌套层数过多。", "code": "parse_error"}
    answer = error_of(english(APIClient()).post(SUBMIT_API, body, content_type="application/json"), 400)
    assert answer == {"detail": "The request body is nested too deeply.", "code": "parse_error"}
    assert Petition.objects.count() == 0


def test_malformed_json_is_a_parse_error_in_the_readers_language(world, categories):
    answer = error_of(APIClient().post(SUBMIT_API, '{"title": ', content_type="application/json"), 400)
    assert answer == {"detail": "请求正文不是有效的 JSON（第 1 行第 11 列）。", "code": "parse_error"}
    answer = error_of(english(APIClient()).post(SUBMIT_API, "{bad", content_type="application/json"), 400)
    assert answer == {"detail": "The request body is not valid JSON (line 1, column 2).", "code": "parse_error"}


def _many_fields_form() -> tuple[str, str]:
    return "&".join(f"f{i}=1" for i in range(1001)), "application/x-www-form-urlencoded"


def _many_fields_multipart(client):
    return client.post(SUBMIT_API, {f"f{i}": "1" for i in range(1001)})  # the test client posts multipart


def _many_files_multipart(client):
    files = [SimpleUploadedFile(f"{i}.png", b"\x89PNG") for i in range(101)]
    return client.post(SUBMIT_API, {**submission(), "attachments": files})


@pytest.mark.parametrize(
    ("send", "code", "chinese", "english_text"),
    [
        (
            lambda c: c.post(SUBMIT_API, *_many_fields_form()),
            "too_many_fields",
            "请求中的字段过多：最多 1000 个。",
            "The request has too many fields: at most 1000.",
        ),
        (
            _many_fields_multipart,
            "too_many_fields",
            "请求中的字段过多：最多 1000 个。",
            "The request has too many fields: at most 1000.",
        ),
        (
            _many_files_multipart,
            "too_many_files",
            "请求中的文件过多：最多 100 个。",
            "The request has too many files: at most 100.",
        ),
        (
            lambda c: c.post(SUBMIT_API, '{"title": "' + "x" * (6 * MB) + '"}', content_type="application/json"),
            "too_large",
            "请求内容过大：最多 5 MB（附件不计在内）。请精简文字后重试。",
            "The request is too large: at most 5 MB, attached files not counted. Shorten the text and try again.",
        ),
    ],
    ids=["form fields", "multipart fields", "multipart files", "6 MB of JSON"],
)
def test_a_request_over_djangos_limits_is_a_400_saying_which(send, code, chinese, english_text, world, categories):
    assert error_of(send(Client()), 400) == {"detail": chinese, "code": code}
    assert error_of(send(english(Client())), 400) == {"detail": english_text, "code": code}
    assert Petition.objects.count() == 0


def test_an_unknown_api_route_is_a_json_404(world):
    assert error_of(Client().get("/api/v1/no-such-thing/"), 404) == {"detail": "未找到。", "code": "not_found"}
    assert error_of(english(Client()).get("/api/v1/no-such-thing/"), 404)["detail"] == "Not found."


def test_a_session_request_without_its_csrf_token_is_refused_in_the_readers_language(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["clerk"])
    answer = error_of(client.post("/api/v1/petitions/", {}, content_type="application/json"), 403)
    assert answer == {"detail": "表单已过期或来自其他网站：请刷新页面后重试。", "code": "csrf_failed"}
    page = page_of(client.post("/track/", {"tracking_number": "x"}), 403)
    assert "表单未能提交" in page and 'data-code="csrf_failed"' in page


# --- Pages -----------------------------------------------------------------------------------


def test_a_page_form_over_the_upload_limit_is_a_400_page(world, categories):
    big = "title=" + "x" * (6 * MB)
    page = page_of(Client().post(SUBMIT_PAGE, big, content_type="application/x-www-form-urlencoded"), 400)
    assert '<html lang="zh-Hans">' in page and "请求有误" in page and "请求内容过大：最多 5 MB" in page
    page = page_of(english(Client()).post(SUBMIT_PAGE, big, content_type="application/x-www-form-urlencoded"), 400)
    assert '<html lang="en">' in page and "The request is too large" in page
    fields = "&".join(f"f{i}=1" for i in range(1001))
    page = page_of(Client().post(SUBMIT_PAGE, fields, content_type="application/x-www-form-urlencoded"), 400)
    assert 'data-code="too_many_fields"' in page and "请求中的字段过多" in page
    assert Petition.objects.count() == 0


def test_an_unknown_page_is_a_404_page_in_the_readers_language(world):
    page = page_of(Client().get("/no-such-page/"), 404)
    assert "页面不存在" in page
    assert "Page not found" in page_of(english(Client()).get("/no-such-page/"), 404)


@pytest.mark.urls("tests.urls_raising")
def test_a_crash_is_a_500_page_or_json_in_the_readers_language(world):
    client = Client(raise_request_exception=False)
    page = page_of(client.get("/crash/"), 500)
    assert '<html lang="zh-Hans">' in page and "出错了" in page and "服务器未能处理此请求" in page
    assert "a bug" not in page and "Traceback" not in page
    page = page_of(english(Client(raise_request_exception=False)).get("/crash/"), 500)
    assert "Something went wrong" in page and "The server could not answer this request." in page
    answer = error_of(client.get("/api/v1/crash/"), 500)
    assert answer["code"] == "server_error" and answer["detail"].startswith("服务器未能处理此请求")


# --- Behind a proxy: the resident's address comes in a header -----------------------------------


@pytest.fixture
def behind_proxy(settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"


def test_without_the_proxys_address_header_a_submission_is_a_400_not_a_500(behind_proxy, world, categories):
    client = APIClient(raise_request_exception=False)
    answer = error_of(client.post(SUBMIT_API, submission(), format="json"), 400)
    assert answer["code"] == "address_unknown" and answer["detail"].startswith("无法确定您的网络地址")
    answer = error_of(english(client).post(SUBMIT_API, submission(), format="json"), 400)
    assert answer["detail"].startswith("Your network address could not be determined")
    page = page_of(Client(raise_request_exception=False).post(SUBMIT_PAGE, {"title": "x"}), 400)
    assert 'data-code="address_unknown"' in page and "无法确定您的网络地址" in page
    assert Petition.objects.count() == 0

    created = APIClient().post(SUBMIT_API, submission(), format="json", HTTP_X_REAL_IP="203.0.113.7")
    assert created.status_code == 201 and Petition.objects.count() == 1


def test_a_forwarded_for_list_counts_the_address_the_proxy_added(settings, world, categories):
    """X-Forwarded-For holds a list ("client, proxy"): django-ratelimit's own "ip" key answered
    500 for it. The submission counts the last entry, the one the proxy wrote."""
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    settings.SUQIU_SUBMIT_RATE_PER_ADDRESS = "2/h"
    client = APIClient(raise_request_exception=False)
    for forged in ("198.51.100.1", "198.51.100.2"):
        created = client.post(SUBMIT_API, submission(), format="json", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.7")
        assert created.status_code == 201, created.content
    # The client's own part of the header changed; the proxy's did not: one address, over its limit.
    refused = client.post(SUBMIT_API, submission(), format="json", HTTP_X_FORWARDED_FOR="198.51.100.3, 203.0.113.7")
    assert refused.status_code == 429
    other = client.post(SUBMIT_API, submission(), format="json", HTTP_X_FORWARDED_FOR="198.51.100.3, 203.0.113.8")
    assert other.status_code == 201
