from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The platform under the apps. Settings, URLs, the Celery app and the middleware are plain
    modules of this package; it is an app (without models) only so that the platform's own
    management commands (`backup`, `restore`, `create_runtime_role`) live here, beside what they
    operate on, rather than in one of the domain apps."""

    name = "config"
