"""The offline village desk (离线受理, docs/offline.md): the page a clerk installs once while
connected, its web manifest and its service worker.

The page carries everything the walk-in form needs (the desks, their villages, the categories
and channels) so that the copy the service worker keeps works with no connection; the cases
typed there wait in the browser (IndexedDB) and go to `POST /api/v1/petitions/` with their
`received_at` and `client_ref` when a connection comes (static/js/offline-desk.js). The server
side adds nothing: the page, the manifest and the worker only read.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from petitions.forms import IntakeForm, intake_villages
from petitions.models import Category
from stations.models import Unit
from stations.selectors import intake_units_of

# What the worker keeps at install besides the page and the manifest: everything the page loads.
ASSETS = (
    "css/suqiu.css",
    "offline/offline.css",
    "js/offline-desk.js",
    "img/favicon.svg",
    "offline/icon-192.png",
    "offline/icon-512.png",
)


def _desks_or_refuse(request: HttpRequest) -> list[Unit]:
    """The clerk's intake desks; anyone else (signed out, or at no desk) is refused."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    desks = intake_units_of(request.user)
    if not desks:
        raise PermissionDenied
    return desks


def _settings_for(request: HttpRequest, desks: list[Unit], villages) -> dict:
    """What the page's script needs offline, rendered into the page (and so kept with it)."""
    return {
        "user": request.user.pk,
        "desks": {str(desk.pk): desk.name for desk in desks},
        "villages": {str(v.pk): {"code": v.code, "name": v.name} for v in villages},
        "categories": {
            str(c.pk): {"code": c.code, "name": str(c.name), "confidential": c.confidential}
            for c in Category.objects.filter(is_active=True)
        },
        "windowDays": settings.SUQIU_RECEIVED_WINDOW_DAYS,
        "api": reverse("petition-list"),
        "signIn": f"{reverse(settings.LOGIN_URL)}?next={reverse('grievances:offline_desk')}",
        "worker": reverse("grievances:offline_worker"),
        "scope": reverse("grievances:offline_desk"),
        "csrfCookie": settings.CSRF_COOKIE_NAME,
    }


@never_cache
@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The offline desk's one page: the walk-in form, the cases on this device, the receipts."""
    desks = _desks_or_refuse(request)
    villages = intake_villages(desks)
    form = IntakeForm(desks=desks, villages=villages)
    context = {
        "form": form,
        "desks": desks,
        "offline_settings": _settings_for(request, desks, villages),
        "portal_url": settings.SUQIU_SITE_URL or request.build_absolute_uri("/"),
    }
    return render(request, "grievances/offline/desk.html", context)


def manifest(request: HttpRequest) -> JsonResponse:
    """The web manifest: what the installed desk is called and where it opens."""
    _desks_or_refuse(request)
    scope = reverse("grievances:offline_desk")
    answer = JsonResponse(
        {
            "name": _("Offline village desk"),
            "short_name": _("Offline desk"),
            "start_url": scope,
            "scope": scope,
            "display": "standalone",
            "background_color": "#f6f7f9",
            "theme_color": "#b3261e",
            "lang": request.LANGUAGE_CODE,
            "icons": [
                {"src": static("offline/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": static("offline/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(answer, private=True, no_cache=True)
    return answer


def assets_version(urls: list[str]) -> str:
    """A digest of the assets' names and contents: a new deployment changes the worker's bytes,
    so browsers install it afresh and drop the old cache."""
    digest = hashlib.sha256()
    for name, url in zip(ASSETS, urls, strict=True):
        digest.update(url.encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the desk's own path so that its scope covers the page
    (no Service-Worker-Allowed header needed), and never cached so that an update is seen."""
    _desks_or_refuse(request)
    urls = [static(name) for name in ASSETS]
    context = {
        "version": assets_version(urls),
        "page": reverse("grievances:offline_desk"),
        "precache": json.dumps([reverse("grievances:offline_manifest"), *urls]),
    }
    answer = render(request, "grievances/offline/sw.js", context, content_type="text/javascript; charset=utf-8")
    patch_cache_control(answer, no_cache=True, max_age=0)
    return answer
