from django.urls import path

from grievances import views

app_name = "grievances"
urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("submit/", views.submit, name="submit"),
    path("submit/villages/", views.villages, name="villages"),
    path("submit/receipt/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("track/rate/", views.rate, name="rate"),
    path("track/review/", views.review, name="review"),
    path("track/<str:token>/", views.track_token, name="track_token"),
    path("statistics/", views.statistics, name="statistics"),
    path("staff/dashboard/", views.dashboard, name="dashboard"),
    path("staff/dashboard/monthly/", views.monthly_report, name="monthly_report"),
    path("staff/dashboard/commission/", views.commission_dashboard, name="commission_dashboard"),
    path("staff/export/", views.ledger_export, name="ledger_export"),
    path("staff/export/<str:token>/", views.ledger_download, name="ledger_download"),
    path("staff/import/", views.ledger_import_page, name="ledger_import"),
    path("staff/import/template/", views.ledger_import_template, name="ledger_import_template"),
]
