"""The briefing's programme and documents: verbs the pages, the API and the CLI share.

The programme is set whole (`set_agenda`: items with an id keep it, the others are new, the
missing ones go). A document is uploaded as a draft (`add_document`: size from the settings, type
from the content) and published (`set_document_status`), which tells every invited unit
through the outbox. Each change invitees can see bumps the meeting's revision, so the
calendars and the notices carry it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from models import Document, Meeting, Notice, audit, db
from models.briefing import AGENDA_MAX, AGENDA_TITLE_MAX, DOCUMENT_STATUSES, FILENAME_MAX, AgendaItem
from models.database import write_transaction
from models.errors import N_, Forbidden, Msg, NotFound, StateConflict, ValidationFailed
from models.file_types import EXTENSIONS, clean_filename, detect_type, extension_of
from models.permissions import can_organize_for, can_see_meeting
from models.storage import storage_for
from models.text import has_visible, nfc
from models.units import find_unit
from models.users import User

DOCUMENT_FIELDS = ("filename", "status", "agenda_item_id", "content_type", "size")


def check_organiser(meeting: Meeting, actor: User) -> None:
    """:raise Forbidden: unless the actor organises for the meeting's organiser."""
    if not can_organize_for(actor, meeting.organizer):
        raise Forbidden(N_("Only the organiser prepares this meeting's programme and documents."))
    if meeting.status == "cancelled":
        raise StateConflict({"meeting": N_("The meeting has been cancelled.")},
                               N_("The meeting has been cancelled."))


def _touch(meeting: Meeting, now: datetime) -> None:
    meeting.revision += 1
    meeting.updated_at = now


def parse_time(value: Any) -> time | None:
    """'HH:MM' (local wall-clock) to a time; None or '' is no time. :raise ValueError:"""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(value)
    return time(int(value[:2]), int(value[3:]))


def clean_agenda(items: Any) -> list[dict]:
    """Check a programme: a list of {id?, title, presenter?, time?}, naming each bad field."""
    if not isinstance(items, list):
        raise ValidationFailed({"items": N_("Give a list of agenda items.")})
    if len(items) > AGENDA_MAX:
        raise ValidationFailed({"items": Msg(N_("At most %(limit)s items."), limit=AGENDA_MAX)})
    errors: dict[str, Any] = {}
    out = []
    for n, item in enumerate(items):
        key = f"items.{n}"
        if not isinstance(item, dict):
            errors[key] = N_("Each item has a title.")
            continue
        title = nfc(item.get("title")) if isinstance(item.get("title"), str) else None
        if not has_visible(title):
            errors[f"{key}.title"] = N_("Give the item's title.")
        elif len(title) > AGENDA_TITLE_MAX:
            errors[f"{key}.title"] = Msg(N_("At most %(limit)s characters."), limit=AGENDA_TITLE_MAX)
        presenter = None
        if item.get("presenter"):
            ref = item["presenter"]
            presenter = find_unit(ref[:64]) if isinstance(ref, str) else None
            if presenter is None:
                errors[f"{key}.presenter"] = Msg(N_("No unit %(ref)s."), ref=repr(ref)[:80])
        try:
            at = parse_time(item.get("time"))
        except (ValueError, TypeError):
            errors[f"{key}.time"] = N_("Give the time as HH:MM.")
            at = None
        item_id = item.get("id")
        if item_id is not None and (not isinstance(item_id, int) or isinstance(item_id, bool)):
            errors[f"{key}.id"] = N_("Must be the id of an item of this programme.")
        out.append({"id": item_id, "title": title, "presenter": presenter, "at": at})
    if errors:
        raise ValidationFailed(errors)
    return out


def set_agenda(meeting: Meeting, items: Any, actor: User, now: datetime) -> list[AgendaItem]:
    """Replace the meeting's programme with `items` (in order) and commit it with its audit row."""
    with write_transaction():
        check_organiser(meeting, actor)
        values = clean_agenda(items)
        existing = {i.id: i for i in meeting.agenda_items}
        unknown = [n for n, v in enumerate(values) if v["id"] is not None and v["id"] not in existing]
        if unknown:
            raise ValidationFailed({f"items.{n}.id": N_("Must be the id of an item of this programme.")
                                    for n in unknown})
        before = [_item_snapshot(i) for i in meeting.agenda_items]
        kept = []
        for position, v in enumerate(values, start=1):
            item = existing.pop(v["id"]) if v["id"] is not None else AgendaItem(meeting_id=meeting.id)
            item.position, item.title, item.presenter, item.at = position, v["title"], v["presenter"], v["at"]
            kept.append(item)
        for gone in existing.values():
            for doc in db.session.scalars(select(Document).where(Document.agenda_item_id == gone.id)):
                doc.agenda_item_id = None
            meeting.agenda_items.remove(gone)
        meeting.agenda_items[:] = kept
        _touch(meeting, now)
        db.session.flush()
        audit.record(actor, "agenda", "meeting", meeting.id, {"agenda": before},
                     {"agenda": [_item_snapshot(i) for i in kept]})
    return kept


def _item_snapshot(item: AgendaItem) -> dict:
    return {"title": item.title, "presenter": item.presenter.ref if item.presenter else None,
            "time": item.at.strftime("%H:%M") if item.at else None}


def programme_lines(m: Meeting) -> list[str]:
    """The programme as lines ("1. 08:30 Title (Presenting unit)"), for e-mails and calendars."""
    out = []
    for n, item in enumerate(m.agenda_items, start=1):
        at = f"{item.at:%H:%M} " if item.at else ""
        who = f" ({item.presenter.name})" if item.presenter is not None else ""
        out.append(f"{n}. {at}{item.title}{who}")
    return out


# --- documents ------------------------------------------------------------------------------

def documents_of(meeting: Meeting, actor: User, *, published_only: bool | None = None) -> list[Document]:
    """The documents the actor may list: all of them for its organisers, the published ones for
    the others who see the meeting. :raise NotFound: when the actor may not see the meeting."""
    if not can_see_meeting(actor, meeting):
        raise NotFound(N_("No such meeting."))
    if published_only is None:
        published_only = not can_organize_for(actor, meeting.organizer)
    stmt = select(Document).where(Document.meeting_id == meeting.id)
    if published_only:
        stmt = stmt.where(Document.status == "published")
    return list(db.session.scalars(stmt.order_by(Document.agenda_item_id.is_not(None), Document.id)))


def published_documents(meeting_ids) -> dict[int, list[Document]]:
    """Per meeting, its published documents (for the calendars and the e-mails)."""
    found: dict[int, list[Document]] = {}
    ids = list(meeting_ids)
    if not ids:
        return found
    for doc in db.session.scalars(select(Document).where(Document.meeting_id.in_(ids),
                                                         Document.status == "published")
                                  .order_by(Document.meeting_id, Document.id)):
        found.setdefault(doc.meeting_id, []).append(doc)
    return found


def attachment_loader(config):
    """For the calendars' Context: meeting ids to (file name, signed URL) of published documents."""
    from .links import document_url

    def load(meeting_ids) -> dict[int, list[tuple[str, str]]]:
        return {mid: [(d.filename, document_url(config, d)) for d in docs]
                for mid, docs in published_documents(meeting_ids).items()}
    return load


def document_for(meeting: Meeting, document_id: int, actor: User) -> Document:
    """A document of this meeting the actor may read. :raise NotFound: for any other id
    (another meeting's, a draft the actor may not see, none at all) alike."""
    doc = db.session.get(Document, document_id)
    if doc is None or doc.meeting_id != meeting.id or doc not in documents_of(meeting, actor):
        raise NotFound(N_("No such document."))
    return doc


def clean_upload(data: bytes, filename: str | None, max_bytes: int) -> tuple[str, str]:
    """(NFC file name, content type) of an accepted upload; :raise ValidationFailed: naming `file`."""
    if not data:
        raise ValidationFailed({"file": N_("Choose a file.")})
    if len(data) > max_bytes:
        raise ValidationFailed({"file": Msg(N_("The file is larger than %(limit)s MB."),
                                            limit=round(max_bytes / 1024 / 1024, 1))})
    kind = detect_type(data)
    if kind is None:
        raise ValidationFailed({"file": N_("Only PDF, Word, Excel, PowerPoint (DOCX, XLSX, PPTX), "
                                           "PNG and JPEG files are accepted.")})
    name = clean_filename(filename, FILENAME_MAX)
    ext = extension_of(name)
    if ext and ext not in EXTENSIONS[kind] and ext in {e for v in EXTENSIONS.values() for e in v}:
        raise ValidationFailed({"file": Msg(N_("The file's name ends in %(ext)s but its content is "
                                               "not of that type."), ext=ext)})
    if not name or ext not in EXTENSIONS[kind]:
        name = clean_filename((name or "tai-lieu") + EXTENSIONS[kind][0], FILENAME_MAX)
    return name, kind


def add_document(meeting: Meeting, data: bytes, filename: str | None, actor: User, now: datetime,
                 settings, agenda_item_id: int | None = None) -> Document:
    """Keep an uploaded file as a draft document of the meeting (or of one of its agenda items)."""
    with write_transaction():
        check_organiser(meeting, actor)
        if agenda_item_id is not None and agenda_item_id not in {i.id for i in meeting.agenda_items}:
            raise ValidationFailed({"agenda_item": N_("Must be an item of this meeting's programme.")})
        name, kind = clean_upload(data, filename, int(settings.get("DOCUMENT_MAX_BYTES") or 0))
        key = storage_for(settings).put(data)
        doc = Document(meeting_id=meeting.id, agenda_item_id=agenda_item_id, filename=name,
                       content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       storage_key=key, status="draft", uploaded_by_id=actor.id, uploaded_at=now)
        db.session.add(doc)
        db.session.flush()
        audit.record(actor, "upload", "document", doc.id, None, audit.snapshot(doc, DOCUMENT_FIELDS)
                     | {"meeting_id": meeting.id})
    return doc


def document_bytes(doc: Document, settings) -> bytes:
    return storage_for(settings).get(doc.storage_key)


def set_document_status(meeting: Meeting, doc: Document, status: Any, actor: User,
                        now: datetime) -> Document:
    """Mark a document draft or published; publishing tells every invited unit (a notice each)."""
    with write_transaction():
        check_organiser(meeting, actor)
        if doc.meeting_id != meeting.id:
            raise NotFound(N_("No such document."))
        if status not in DOCUMENT_STATUSES:
            raise ValidationFailed({"status": Msg(N_("Must be one of: %(values)s."),
                                                  values=", ".join(DOCUMENT_STATUSES))})
        before = audit.snapshot(doc, DOCUMENT_FIELDS)
        if doc.status == status:
            return doc
        doc.status = status
        doc.published_at = now if status == "published" else None
        _touch(meeting, now)
        if status == "published":
            _tell_invited(meeting, doc, now)
        audit.record(actor, "publish" if status == "published" else "unpublish", "document", doc.id,
                     before, audit.snapshot(doc, DOCUMENT_FIELDS))
    return doc


def _tell_invited(meeting: Meeting, doc: Document, now: datetime) -> list[Notice]:
    from .notices import attach_deliveries

    notices = [Notice(unit_id=inv.unit_id, meeting_id=meeting.id, kind="documents_published",
                      changes=[{"field": "document", "before": None, "after": doc.filename}],
                      occurrences=1) for inv in sorted(meeting.invitations, key=lambda i: i.unit_id)]
    attach_deliveries(notices, now)
    db.session.add_all(notices)
    return notices

