from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        # The OpenAPI description of the Api-Key header (drf-spectacular extension).
        from integrations import schema  # noqa: F401
