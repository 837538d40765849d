"""Refusals a service raises when an action cannot happen as asked.

Bad input is a Django `ValidationError` (400, messages keyed by field). These are the other
refusals; the API answers them as `{"detail": ..., "code": ...}` with the status below, and
the pages show the message. Each changes nothing: the service raises before it writes.
"""

from __future__ import annotations


class Refused(Exception):
    status = 409
    code = "refused"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidState(Refused):
    """The case is not in a state that allows this action (someone may have acted first)."""

    code = "invalid_state"


class StaleVersion(Refused):
    """The caller acted on an older version of the case than the one saved."""

    code = "stale_version"


class NotPermitted(Refused):
    """The caller may see the case but not take this action on it."""

    status = 403
    code = "not_permitted"
