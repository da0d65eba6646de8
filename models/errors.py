"""Refusals raised by domain verbs; the API and views turn each into a 4xx.

A refusal carries a catalog message id (English, marked with `N_` so the catalog extracts it)
and its parameters; it is translated only where it reaches a person (`translated`).
"""
from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark a message id for the catalog without translating it here."""
    return message


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None, **params):
        self.message = message
        self.params = params
        self.details = details or {}
        super().__init__(self.translated(lambda m: m))

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the catalog's language (`gettext` is the caller's translator)."""
        text = gettext(self.message)
        return text % self.params if self.params else text


class ValidationFailed(DomainError):
    """Bad values: `details` maps each field to what is wrong with it."""

    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str = "Some fields are not valid"):
        super().__init__(message, {k: [v] if isinstance(v, str) else v for k, v in fields.items()})


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """A clash: `details['conflicts']` lists {meeting_id, title, start, end, units}."""

    status = 409
    code = "conflict"
