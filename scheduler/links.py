"""Signed one-click answer links: bound to a meeting, a unit, an answer and the meeting's start.

The signature covers the start instant, so moving the meeting invalidates every link sent
for the old time; a link stops working at the start, when answers close.
"""
from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from models.errors import N_, DomainError

SALT = "giaoban.attendance.answer"
ANSWERS = ("confirmed", "declined")


class LinkRefused(DomainError):
    """A link that is forged, for another meeting, unit or answer, expired or re-timed."""

    status = 403
    code = "link_refused"

    def __init__(self, reason: str, message: str, status: int = 403):
        super().__init__(message, {"link": [message]})
        self.reason = reason
        self.status = status


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _start_stamp(start_at: datetime) -> int:
    return int(start_at.timestamp())


def answer_token(secret_key: str, meeting, unit, answer: str) -> str:
    """The token of a link that answers `answer` for `unit` to `meeting` at its current time."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {ANSWERS}")
    return _serializer(secret_key).dumps(
        {"m": meeting.id, "u": unit.id, "a": answer, "s": _start_stamp(meeting.start_at)})


def check_answer_token(secret_key: str, token: str, meeting, unit, answer: str,
                       now: datetime) -> None:
    """Accept the token for exactly this meeting, unit and answer, before the start.

    :raise LinkRefused: with `reason` one of invalid, mismatch, retimed, cancelled, expired.
    """
    try:
        data = _serializer(secret_key).loads(token or "")
    except BadSignature:
        raise LinkRefused("invalid", N_("This link is not valid."), 400) from None
    if not isinstance(data, dict) or (data.get("m"), data.get("u"), data.get("a")) != (
            meeting.id, unit.id, answer):
        raise LinkRefused("mismatch", N_("This link is for another meeting, unit or answer."))
    if meeting.status == "cancelled":
        raise LinkRefused("cancelled", N_("The meeting has been cancelled."), 410)
    if data.get("s") != _start_stamp(meeting.start_at):
        raise LinkRefused("retimed", N_("The meeting has moved since this link was sent."), 410)
    if now >= meeting.start_at:
        raise LinkRefused("expired", N_("The meeting has started: answers are closed."), 410)


def answer_path(meeting_id: int, unit_ref: str, answer: str) -> str:
    """The path of the one-click answer page (the web route `attendance.answer_link`)."""
    return f"/answer/{meeting_id}/{unit_ref}/{answer}"


def answer_url(config, meeting, unit, answer: str) -> str:
    """The absolute link that e-mails carry, under PUBLIC_URL."""
    token = answer_token(config["SECRET_KEY"], meeting, unit, answer)
    return f"{config['PUBLIC_URL'].rstrip('/')}{answer_path(meeting.id, unit.ref, answer)}?t={token}"


DOCUMENT_SALT = "giaoban.document"


def _published_stamp(document) -> int:
    return int(document.published_at.timestamp()) if document.published_at else 0


def document_token(secret_key: str, document) -> str:
    """The token of a download link for a published document (calendar ATTACH, e-mails)."""
    return URLSafeSerializer(secret_key, salt=DOCUMENT_SALT).dumps(
        {"d": document.id, "p": _published_stamp(document)})


def check_document_token(secret_key: str, token: str, document) -> bool:
    """The token is for this document as it is published now (a draft has no valid link)."""
    try:
        data = URLSafeSerializer(secret_key, salt=DOCUMENT_SALT).loads(token or "")
    except BadSignature:
        return False
    return (document.status == "published" and isinstance(data, dict)
            and (data.get("d"), data.get("p")) == (document.id, _published_stamp(document)))


def document_url(config, document) -> str:
    """The absolute signed download link of a published document, under PUBLIC_URL."""
    token = document_token(config["SECRET_KEY"], document)
    return f"{config['PUBLIC_URL'].rstrip('/')}/documents/{document.id}/{token}"
