"""API tokens for tests: minted as the token endpoint would after the password and, for
staff who owe one, the second-factor code (like `force_login`, tests/conftest.py), so tests
about other things need not type codes. tests/stations/test_api_tokens.py goes through the
real endpoint."""

from __future__ import annotations

from stations.otp import two_factor_due
from stations.tokens import token_issue


def token_for(user) -> str:
    return token_issue(user=user, two_factor=two_factor_due(user)).token


def token_headers(user, **extra: str) -> dict[str, str]:
    """Django test-client keyword arguments: `client.get(url, **token_headers(user))`."""
    return {"HTTP_AUTHORIZATION": f"Token {token_for(user)}", **extra}
