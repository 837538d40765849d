from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from config.display import set_display
from config.views import healthz
from evaluations.api import CampaignViewSet
from evaluations.cadre.api import CadreSheetViewSet
from grievances.hotspots.api import HotspotNoticeView, HotspotsView
from grievances.portal.api import PublicLookupView, PublicRateView, PublicReviewView, PublicSubmitView
from grievances.stats.api import CommissionStatsView, StatsSummaryView, UnitAssessmentView
from petitions.api import CategoryViewSet, PetitionViewSet, ReferralViewSet, SupervisionNoticeViewSet
from stations.api import RegionViewSet, SignOutEverywhereView, SignOutView, TokenView, UnitViewSet

router = DefaultRouter()
# No `.json` twins of every route: the contract (DESIGN.md §8) has none, and the viewsets'
# actions take no `format` argument (each twin answered 500).
router.include_format_suffixes = False
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("categories", CategoryViewSet, basename="category")
router.register("petitions", PetitionViewSet, basename="petition")
router.register("supervision-notices", SupervisionNoticeViewSet, basename="supervision-notice")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("appraisals", CampaignViewSet, basename="appraisal")
router.register("cadre-sheets", CadreSheetViewSet, basename="cadre-sheet")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", SignOutView.as_view(), name="api-logout"),
    path("auth/logout-all/", SignOutEverywhereView.as_view(), name="api-logout-all"),
    path("public/petitions/", PublicSubmitView.as_view(), name="api-public-submit"),
    path("public/lookup/", PublicLookupView.as_view(), name="api-public-lookup"),
    path("public/rate/", PublicRateView.as_view(), name="api-public-rate"),
    path("public/review/", PublicReviewView.as_view(), name="api-public-review"),
    path("stats/summary/", StatsSummaryView.as_view(), name="api-stats-summary"),
    path("stats/commission/", CommissionStatsView.as_view(), name="api-stats-commission"),
    path("stats/units/", UnitAssessmentView.as_view(), name="api-stats-units"),
    path("stats/hotspots/", HotspotsView.as_view(), name="api-stats-hotspots"),
    path("stats/hotspots/<int:hotspot_id>/notice/", HotspotNoticeView.as_view(), name="api-stats-hotspot-notice"),
    *router.urls,
]

urlpatterns = [
    path("", include("grievances.urls")),
    path("", include("evaluations.urls")),
    path("staff/", include("petitions.urls")),
    path("accounts/", include("stations.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("display/", set_display, name="set_display"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("open311/v2/", include("integrations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script from a URL: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]

# Error answers in the reader's language: a page for pages, JSON under /api/ (config/error_pages.py).
handler400 = "config.error_pages.bad_request"
handler403 = "config.error_pages.permission_denied"
handler404 = "config.error_pages.page_not_found"
handler500 = "config.error_pages.server_error"
