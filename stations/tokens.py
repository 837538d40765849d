"""API tokens (接口令牌) that obey the rules of staff sessions, on django-rest-knox.

- Knox stores a SHA-512 digest of each token and its first 15 characters to find it; the
  token itself is shown once, in the answer of `POST /api/v1/auth/token/`.
- Each lives API_TOKEN_HOURS (10, like a staff session) from issue; knox refuses and deletes
  it after that.
- Revoked (the rows deleted) whenever the person's stored password changes, wherever it is
  set, and when a confirmed TOTP device of theirs is removed (stations.signals); when they
  sign out through the API; by an administrator (the admin's list of API tokens, or the
  "Revoke API tokens" action on staff).
- `two_factor` records whether a code was given at issue. A token issued without one is
  refused (`401 otp_required`) once its holder owes a code (`stations.otp.two_factor_due`:
  a commission role, an administrator, or a device they turned on), as a session is held
  back then; the token endpoint issues a token to such a person only against a valid code.

docs/security.md, "API tokens".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework import exceptions

from stations import otp
from stations.models import ApiToken, User

log = logging.getLogger("suqiu.security")


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the token itself: given to the caller once, never stored
    row: ApiToken


def token_issue(*, user: User, two_factor: bool) -> IssuedToken:
    """A new token for `user`; `two_factor` only when a second-factor code was just verified.

    The person's expired tokens are deleted here (knox would sweep them on every request)."""
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    row, token = ApiToken.objects.create(user=user, two_factor=two_factor)
    log.info("api token issued user=%s two_factor=%s", user.get_username(), two_factor)
    return IssuedToken(token=token, row=row)


def tokens_revoke(*, user_id: int, reason: str) -> int:
    """Delete every API token of the person; how many there were."""
    deleted, _detail = ApiToken.objects.filter(user_id=user_id).delete()
    if deleted:
        log.info("api tokens revoked user_id=%s count=%d reason=%s", user_id, deleted, reason)
    return deleted


class TwoFactorCodeOwed(exceptions.AuthenticationFailed):
    default_code = "otp_required"


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's `Authorization: Token <token>`, and the second-factor rule of sessions."""

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        # Knox also reads all the person's other tokens on every request to delete their
        # expired ones: a query per API request for rows that are refused anyway. They are
        # deleted when a token is issued (token_issue); here only the presented token is
        # checked, and deleted once expired, as knox does. (Pinned by the query count of
        # tests/petitions/test_register_queries.py; expiry by tests/stations/test_api_tokens.py.)
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token: ApiToken):
        user, auth_token = super().validate_user(auth_token)
        if not auth_token.two_factor and otp.two_factor_due(user):
            raise TwoFactorCodeOwed(
                _(
                    "Your account now requires two-factor sign-in: this token was issued without a code. "
                    "Ask for a new token with your code (otp_code)."
                )
            )
        return user, auth_token


class TokenScheme(KnoxTokenScheme):
    """The schema's description of our knox subclass (drf-spectacular matches classes exactly)."""

    target_class = TokenAuthentication
    name = "tokenAuth"
