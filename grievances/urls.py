from django.urls import path

from grievances import views
from grievances.hotspots import views as hotspots
from grievances.ledger import views as ledger
from grievances.offline import views as offline
from grievances.portal import views as portal
from grievances.stats import views as stats

app_name = "grievances"
urlpatterns = [
    # The resident portal (grievances/portal/)
    path("", portal.home, name="home"),
    path("submit/", portal.submit, name="submit"),
    path("submit/villages/", portal.villages, name="villages"),
    path("submit/receipt/", portal.submitted, name="submitted"),
    path("track/", portal.track, name="track"),
    path("track/rate/", portal.rate, name="rate"),
    path("track/review/", portal.review, name="review"),
    path("track/<str:token>/", portal.track_token, name="track_token"),
    path("statistics/", portal.statistics, name="statistics"),
    # Staff: the workbench
    path("staff/", views.staff_home, name="staff_home"),
    # The statistics (grievances/stats/)
    path("staff/dashboard/", stats.dashboard, name="dashboard"),
    path("staff/dashboard/monthly/", stats.monthly_report, name="monthly_report"),
    path("staff/dashboard/monthly/docx/", stats.monthly_report_docx, name="monthly_report_docx"),
    path("staff/dashboard/commission/", stats.commission_dashboard, name="commission_dashboard"),
    path("staff/dashboard/units/", stats.units_dashboard, name="units_dashboard"),
    path("staff/dashboard/hotspots/", hotspots.hotspots_page, name="hotspots"),
    path("staff/dashboard/hotspots/<int:hotspot_id>/notice/", hotspots.hotspot_notice, name="hotspot_notice"),
    # The ledger (grievances/ledger/)
    path("staff/export/", ledger.ledger_export, name="ledger_export"),
    path("staff/export/<str:token>/", ledger.ledger_download, name="ledger_download"),
    path("staff/import/", ledger.ledger_import_page, name="ledger_import"),
    path("staff/import/template/", ledger.ledger_import_template, name="ledger_import_template"),
    path("staff/history/", ledger.history_page, name="history"),
    path("staff/history/template/", ledger.history_template, name="history_template"),
    path("staff/history/<str:token>/", ledger.history_job, name="history_job"),
    # The offline village desk (grievances/offline/): the worker and the manifest under the page's
    # own path, so that the worker's scope covers it.
    path("staff/offline/", offline.desk, name="offline_desk"),
    path("staff/offline/manifest.webmanifest", offline.manifest, name="offline_manifest"),
    path("staff/offline/sw.js", offline.service_worker, name="offline_worker"),
]
