"""The answers Django gives when a view does not answer itself: 400 (a body over the upload
limit, too many fields or files, …), 403 (the CSRF refusal too), 404, 500, and the 400 of a
request without the resident's address behind the proxy (config.middleware).

Wired in `config/urls.py` (handler400 … handler500) and `CSRF_FAILURE_VIEW`. A page gets
`templates/error.html`, which needs no database and no signed-in user, so that it renders
whatever failed; the API (`/api/…`) gets `{"detail": ..., "code": ...}` like every DRF error.
Both in the request's language (`language_of`): the error may come before
the language middleware has run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions

API_PREFIX = "/api/"


def language_of(request) -> str:
    """The language a request is answered in: the language cookie's, else zh-Hans."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def _answer(
    request: HttpRequest,
    status: int,
    code: str,
    words: Callable[[], tuple[str, str]],
    api_detail: Callable[[], str] | None = None,
) -> HttpResponse:
    """`words()` gives (title, message), translated once the request's language is active;
    the API answers the message, or `api_detail()` where a page's words would not fit."""
    with translation.override(language_of(request)):
        title, message = words()
        if request.path.startswith(API_PREFIX):
            detail = str(api_detail()) if api_detail else message
            response = JsonResponse(
                {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
            )
        else:
            context = {
                "status": status,
                "code": code,
                "title": title,
                "message": message,
                "portal_name": str(settings.SUQIU_SITE_NAME),
            }
            response = HttpResponse(loader.render_to_string("error.html", context), status=status)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _refusal(exception) -> tuple[str, str]:
    """(code, message) of a request Django refused before the view could read it."""
    if isinstance(exception, RequestDataTooBig):
        size = "%g MB" % (settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024))
        message = _(
            "The request is too large: at most %(size)s, attached files not counted. Shorten the text and try again."
        )
        return "too_large", message % {"size": size}
    if isinstance(exception, TooManyFieldsSent):
        message = _("The request has too many fields: at most %(n)d.")
        return "too_many_fields", message % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    if isinstance(exception, TooManyFilesSent):
        message = _("The request has too many files: at most %(n)d.")
        return "too_many_files", message % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
    return "bad_request", _("The request could not be understood. Go back and try again.")


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    code = _refusal(exception)[0]
    return _answer(request, 400, code, lambda: (_("Bad request"), _refusal(exception)[1]))


def address_unknown(request: HttpRequest) -> HttpResponse:
    return _answer(
        request,
        400,
        "address_unknown",
        lambda: (
            _("Bad request"),
            _(
                "Your network address could not be determined, so this request cannot be accepted. Please try "
                "again later; if it goes on, tell the site's administrator."
            ),
        ),
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _answer(
        request,
        403,
        "permission_denied",
        lambda: (_("Access denied"), _("You may not open this page or take this action.")),
        api_detail=lambda: exceptions.PermissionDenied.default_detail,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _answer(
        request,
        403,
        "csrf_failed",
        lambda: (
            _("The form could not be sent"),
            _("The form has expired or came from another site: reload the page and try again."),
        ),
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _answer(
        request,
        404,
        "not_found",
        lambda: (
            _("Page not found"),
            _("There is nothing at this address. Check the address, or start again from the home page."),
        ),
        api_detail=lambda: exceptions.NotFound.default_detail,  # as DRF's own 404s say it
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(
        request,
        500,
        "server_error",
        lambda: (
            _("Something went wrong"),
            _(
                "The server could not answer this request. Please try again in a moment; if it goes on, tell the "
                "site's administrator."
            ),
        ),
    )
