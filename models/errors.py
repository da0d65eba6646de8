"""Refusals raised by domain verbs; the API and views turn each into a 4xx.

A refusal carries a catalog message id (English, marked with `N_` so the catalog extracts it)
and its parameters; it is translated only where it reaches a person (`translated`).
"""
from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark a message id for the catalog without translating it here."""
    return message


class Msg(str):
    """A field message with parameters: reads as its English text, translated at the edge.

    `Msg(N_("No unit %(ref)s."), ref="x")` is a `str` (the English text, so JSON and the CLI
    can use it as is) that keeps its message id and parameters for `translate`.
    """

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params
        return self


def translate(message, gettext: Callable[[str], str]):
    """One message (a message id or a `Msg`) in the caller's language; other values as they are."""
    if isinstance(message, Msg):
        return gettext(message.msgid) % message.params
    if isinstance(message, str):
        return gettext(message)
    if isinstance(message, list):
        return [translate(m, gettext) for m in message]
    if isinstance(message, dict):
        return {k: translate(v, gettext) for k, v in message.items()}
    return message


#: `details` keys that carry data (titles, names), never message ids
DATA_DETAILS = frozenset({"conflicts"})


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

    def translated_details(self, gettext: Callable[[str], str]) -> dict:
        """`details` with every field message in the catalog's language (data keys kept as they are)."""
        return {k: v if k in DATA_DETAILS else translate(v, gettext) for k, v in self.details.items()}


class ValidationFailed(DomainError):
    """Bad values: `details` maps each field to what is wrong with it."""

    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str = N_("Some fields are not valid"), **params):
        super().__init__(message, {k: [v] if isinstance(v, str) else v for k, v in fields.items()},
                         **params)


class StateConflict(ValidationFailed):
    """Well formed, but refused by the current state of what it acts on (a cancelled meeting
    changed, a cancellation undone too late, an outcome before the end, a roll call before it
    opens): 409, still naming the field. Input that could never be accepted stays a 422."""

    status = 409
    code = "state_conflict"


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
