"""What the meeting pages share: the guards, the labels, the form-error mapping, the detail page."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import joinedload

from models import AuditLog, Bridge, Document, Invitation, Meeting, Unit, db
from models.base import utcnow
from models.errors import ValidationFailed
from models.permissions import can_organize_for, can_see_meeting
from scheduler.briefing import documents_of
from scheduler.changes import last_cancellation, restorable
from scheduler.clashes import endpoints_to_book

from .labels import apply_form_errors
from .meeting_forms import (
    CATEGORY_LABELS,
    MODE_LABELS,
    RESPONSE_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    CancelForm,
    options,
)
from .meeting_reads import audit_changes, participant_tree, unit_names
from .registry import readiness_max_age

LABELS = {"categories": CATEGORY_LABELS, "modes": MODE_LABELS, "statuses": STATUS_LABELS,
          "responses": RESPONSE_LABELS, "scopes": SCOPE_LABELS}
#: where a verb's field error is shown on the booking and edit forms
FIELD_OF = {"start": "start_time", "end": "end_time", "participants": "units", "rrule": "repeat"}
#: the meeting page lists this many invited units (the reader's own unit first); "show all" the rest
PARTICIPANTS_SHOWN = 50


def meeting_or_404(meeting_id: int) -> Meeting:
    """:raise 404: when there is no such meeting or the user may not see it."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_see_meeting(current_user, meeting):
        abort(404)
    return meeting


def meeting_and_stamp_or_404(meeting_id: int) -> tuple[Meeting, tuple]:
    """`meeting_or_404` and the page's stamp (`_stamp_columns`) in one statement: the page's first
    two questions."""
    row = db.session.execute(_meeting_and_stamp(), {"meeting_id": meeting_id}).first()
    if row is None or not can_see_meeting(current_user, row[0]):
        abort(404)
    return row[0], tuple(row[1:])


def organised(meeting_id: int) -> Meeting:
    """:raise 403: unless the user may organise for the meeting's organiser."""
    meeting = meeting_or_404(meeting_id)
    if not can_organize_for(current_user, meeting.organizer):
        abort(403)
    return meeting


def apply_errors(form, error: ValidationFailed) -> list[str]:
    """Put a verb's field errors on the form (named as the pages name them); returns the others."""
    return apply_form_errors(form, error, FIELD_OF)


def fill_choices(form, organisers: list[Unit] | None = None) -> None:
    """The participant tree, the bridge (and organiser) choices of a booking or edit form."""
    form.tree = participant_tree(form.units.data or [])
    bridges = db.session.scalars(select(Bridge).order_by(Bridge.name)).all()
    form.bridge.choices = options([("", _("None (in person)"))] + [
        (str(b.id), f"{b.name} ({b.capacity})") for b in bridges])
    if organisers is not None:
        form.organizer.choices = options((u.ref, u.name) for u in organisers)


def readable(conflicts: list[dict]) -> list[dict]:
    """Clashes with instants as datetimes and units as names, for the page."""
    names = unit_names({ref for c in conflicts for ref in c["units"]})
    out = []
    for c in conflicts:
        out.append({**c, "start": datetime.fromisoformat(c["start"]),
                    "end": datetime.fromisoformat(c["end"]),
                    "occurrence": datetime.fromisoformat(c["occurrence"]),
                    "unit_names": [names.get(r, r) for r in c["units"]]})
    return out


def participants_shown(meeting: Meeting, show_all: bool = False,
                       size: int = PARTICIPANTS_SHOWN) -> tuple[list[Invitation], int]:
    """The invitations the page lists (the reader's own unit first, then in order of invitation;
    the first `size` unless all are asked for) with their units, and how many there are."""
    own = current_user.unit_id if current_user.is_authenticated else None
    stmt = (select(Invitation).options(joinedload(Invitation.unit))
            .where(Invitation.meeting_id == meeting.id)
            .order_by(case((Invitation.unit_id == own, 0), else_=1), Invitation.id))
    rows = db.session.scalars(stmt if show_all else stmt.limit(size + 1)).all()
    if show_all or len(rows) <= size:
        return list(rows), len(rows)
    total = db.session.scalar(select(func.count()).where(Invitation.meeting_id == meeting.id))
    return list(rows[:size]), total


@lru_cache(maxsize=1)
def _meeting_and_stamp():
    return select(Meeting, *_stamp_columns()).where(Meeting.id == bindparam("meeting_id"))


def _stamp_columns() -> tuple:
    """What the meeting's page shows that the data version does not follow, as columns
    correlated to the `meetings` row of the statement: the newest audit row of the meeting (its
    history, programme, minutes, roll call) and of its documents (uploaded, published, withdrawn)."""
    docs = select(Document.id).where(Document.meeting_id == Meeting.id)
    return (select(func.max(AuditLog.id)).where(AuditLog.entity_type == "meeting",
                                                AuditLog.entity_id == Meeting.id).scalar_subquery(),
            select(func.max(AuditLog.id)).where(AuditLog.entity_type == "document",
                                                AuditLog.entity_id.in_(docs)).scalar_subquery())


def render_detail(meeting: Meeting, cancel_form: CancelForm | None = None, status: int = 200,
                  problems: list[str] = (), conflicts: list[dict] = (), show_all: bool = False):
    """The meeting's page: invitations (the top of the table unless `show_all`), endpoints,
    history, occurrences, and what the user may do."""
    now = utcnow()
    invitations, invited = participants_shown(meeting, show_all)
    endpoints, ready = endpoints_to_book([meeting.organizer_id, *(i.unit_id for i in invitations)],
                                         now, readiness_max_age(), with_details=True)
    history = db.session.scalars(select(AuditLog).options(joinedload(AuditLog.actor)).where(
        AuditLog.entity_type == "meeting", AuditLog.entity_id == meeting.id)
        .order_by(AuditLog.at, AuditLog.id)).all()
    occurrences = []
    if meeting.series_id is not None:
        occurrences = db.session.execute(select(
            Meeting.id, Meeting.start_at, Meeting.end_at, Meeting.status, Meeting.recurrence_id)
            .where(Meeting.series_id == meeting.series_id).order_by(Meeting.recurrence_id)).all()
    may_organise = can_organize_for(current_user, meeting.organizer)
    editable = may_organise and meeting.status == "scheduled" and meeting.start_at > now
    cancellation = last_cancellation(meeting)
    undo = restorable(meeting, now) if may_organise and cancellation is not None else []
    return render_template(
        "meetings/detail.html", meeting=meeting, invitations=invitations, invited=invited,
        endpoints=endpoints, ready=ready, ready_labels=(_("Not ready"), _("Ready")),
        response_words={k: str(v) for k, v in RESPONSE_LABELS.items()},
        history=[(row, audit_changes(row)) for row in history],
        occurrences=occurrences, editable=editable, now=now, may_organise=may_organise,
        may_record=may_organise and meeting.end_at <= now and meeting.status != "cancelled",
        cancel_form=cancel_form or CancelForm(), problems=problems, conflicts=conflicts,
        cancellation=cancellation, undo=undo, undo_form=FlaskForm(),
        documents=documents_of(meeting, current_user, published_only=True), **LABELS), status
