"""Appraisal pages: public under /appraisals/, the commission's under /staff/appraisals/ (the
cadre assessment sheets under /staff/appraisals/cadre/)."""

from django.urls import path

from evaluations import views
from evaluations.cadre import views as cadre

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
    # The cadre link (docs/appraisals.md): the yearly assessment sheets of the units' cadres.
    path("staff/appraisals/cadre/", cadre.cadre_index, name="cadre_index"),
    path("staff/appraisals/cadre/<int:year>/", cadre.cadre_list, name="cadre_list"),
    path("staff/appraisals/cadre/<int:year>.xlsx", cadre.cadre_xlsx, name="cadre_xlsx"),
    path("staff/appraisals/cadre/sheets/<int:pk>/", cadre.cadre_sheet, name="cadre_sheet"),
    path("staff/appraisals/cadre/sheets/<int:pk>/layout/", cadre.cadre_layout, name="cadre_layout"),
    path("staff/appraisals/cadre/sheets/<int:pk>/parts/<int:part_pk>/score/", cadre.cadre_score, name="cadre_score"),
    path("staff/appraisals/cadre/sheets/<int:pk>/finalise/", cadre.cadre_finalise, name="cadre_finalise"),
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
