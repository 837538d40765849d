"""Appraisal pages: public under /appraisals/, the commission's under /staff/appraisals/."""

from django.urls import path

from evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("appraisals/", views.public_list, name="public_list"),
    path("appraisals/<int:pk>/", views.public_detail, name="public_detail"),
    path("appraisals/<int:pk>/results/", views.public_results, name="results"),
    path("appraisals/<int:pk>/results.xlsx", views.public_results_xlsx, name="results_xlsx"),
    path(
        "appraisals/<int:pk>/stations/<int:participant_pk>/questionnaire/",
        views.questionnaire,
        name="questionnaire",
    ),
    path("staff/appraisals/", views.staff_list, name="staff_list"),
    path("staff/appraisals/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/appraisals/<int:pk>/results.xlsx", views.staff_xlsx, name="staff_xlsx"),
    path("staff/appraisals/<int:pk>/questions/", views.staff_question, name="staff_question"),
    path("staff/appraisals/<int:pk>/rectifications/", views.staff_rectification, name="staff_rectification"),
    path(
        "staff/appraisals/<int:pk>/rectifications/<int:item_pk>/done/",
        views.staff_rectification_done,
        name="staff_rectification_done",
    ),
    path("staff/appraisals/<int:pk>/stations/<int:participant_pk>/hearing/", views.staff_hearing, name="staff_hearing"),
    path("staff/appraisals/<int:pk>/stations/<int:participant_pk>/veto/", views.staff_veto, name="staff_veto"),
    path(
        "staff/appraisals/<int:pk>/stations/<int:participant_pk>/commitments/",
        views.staff_commitments,
        name="staff_commitments",
    ),
    path("staff/appraisals/<int:pk>/stations/<int:participant_pk>/report/", views.staff_report, name="staff_report"),
    path("staff/appraisals/<int:pk>/<slug:verb>/", views.staff_transition, name="staff_transition"),
]
