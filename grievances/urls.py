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
]
