"""The elder-friendly display (适老化): large text and high contrast, switched on and off from
every page's header and remembered in a cookie, as Django's `set_language` remembers the
language. A form POST, so it works without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

ELDER_COOKIE = "suqiu_elder"
ELDER_COOKIE_AGE = 365 * 24 * 3600


def elder_mode(request: HttpRequest) -> bool:
    """Whether this browser asked for the large, high-contrast display."""
    return request.COOKIES.get(ELDER_COOKIE) == "1"


@require_POST
def set_display(request: HttpRequest) -> HttpResponseRedirect:
    """`elder=1` switches the elder-friendly display on, anything else off; back to `next`
    (a path of this site only)."""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.POST.get("elder") == "1":
        response.set_cookie(ELDER_COOKIE, "1", max_age=ELDER_COOKIE_AGE, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response
