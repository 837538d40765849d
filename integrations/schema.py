"""The OpenAPI description of an integration's key (drf-spectacular), loaded by the app config."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.IntegrationKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: an integration's key (docs/integrations.md).",
        }
