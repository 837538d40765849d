from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Hierarchy and staff")

    def ready(self) -> None:
        # Connects the sign-in receiver that starts a session's clocks (idle and absolute
        # timeouts), whichever view or test helper signs the person in.
        from config import middleware  # noqa: F401

        # Revokes API tokens on a password change or a removed TOTP device (stations.tokens).
        from stations import signals  # noqa: F401
