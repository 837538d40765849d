"""Staff pages for cases (intake, queue, list, case page), under /staff/."""

from django.urls import path

from petitions import views

app_name = "petitions"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("queue/", views.queue, name="queue"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("cases/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("cases/<int:pk>/<slug:verb>/", views.case_action, name="action"),
]
