"""Refusals raised by domain verbs; the API and views turn each into a 4xx."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


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
