"""The site's URLs and error handlers, plus a page and an API route that crash: for the tests
of the 500 answers (tests/test_error_answers.py)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def crash(request):
    raise RuntimeError("a bug")


class Crash(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug")


urlpatterns = [path("crash/", crash), path("api/v1/crash/", Crash.as_view()), *urlpatterns]
