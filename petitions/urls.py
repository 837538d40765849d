"""Staff pages for cases (intake, queue, list, case page), referrals, supervision notices and
notifications, under /staff/."""

from django.urls import path

from petitions import desk, views

app_name = "petitions"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/returning/", desk.returning, name="returning"),
    path("queue/", views.queue, name="queue"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("cases/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("cases/<int:pk>/reveal/", views.case_reveal, name="reveal"),
    path("cases/<int:pk>/<slug:verb>/", views.case_action, name="action"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<int:pk>/<slug:verb>/", views.referral_action, name="referral_action"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/overdue/", views.notice_overdue, name="notices_overdue"),
    path("notices/<int:notice_id>/", views.notice_detail, name="notice"),
    path("notices/<int:notice_id>/answer/", views.notice_answer, name="notice_answer"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read_all, name="notifications_read"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
]
