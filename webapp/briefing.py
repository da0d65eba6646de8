"""Pages of a briefing's programme and documents: read by whoever sees the meeting, prepared by
its organisers. Verbs in `scheduler.briefing`; this module parses, calls and renders."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from models import Document, db
from models.base import utcnow
from models.errors import DomainError
from models.permissions import can_organize_for
from scheduler.briefing import (
    add_document,
    document_bytes,
    document_for,
    documents_of,
    set_agenda,
    set_document_status,
)
from scheduler.links import check_document_token
from scheduler.roll_call import is_open, may_host

from .downloads import file_download
from .labels import error_details, error_message
from .meeting_pages import LABELS, meeting_or_404, organised

bp = Blueprint("briefing", __name__)
BLANK_ROWS = 3  # empty programme rows offered below the existing ones


def _refused(exc: DomainError):
    if exc.status == 403:
        abort(403)
    if exc.status == 404:
        abort(404)


def render_briefing(meeting, status: int = 200, problems: list[str] = ()):
    """The programme and the documents; the forms to prepare them for the organisers."""
    organiser = can_organize_for(current_user, meeting.organizer)
    documents = documents_of(meeting, current_user)
    presenters = [meeting.organizer] + [inv.unit for inv in meeting.invitations]
    return render_template("meetings/briefing.html", meeting=meeting, documents=documents,
                           organiser=organiser, presenters=presenters, blank_rows=BLANK_ROWS,
                           problems=list(problems), form=FlaskForm(), now=utcnow(),
                           roll_call_open=is_open(meeting, utcnow()), host=may_host(current_user, meeting),
                           **LABELS), status


def _problems(exc: DomainError) -> list[str]:
    details = error_details(exc)
    return [error_message(exc)] + [str(m) for messages in details.values()
                                   for m in (messages if isinstance(messages, list) else [messages])]


@bp.get("/meetings/<int:meeting_id>/briefing")
@login_required
def page(meeting_id: int):
    return render_briefing(meeting_or_404(meeting_id))


def agenda_rows(form) -> list[dict]:
    """The programme form's rows (id, time, title, presenter), blank rows left out."""
    rows = []
    for item_id, at, title, presenter in zip(form.getlist("id"), form.getlist("time"), form.getlist("title"),
                                             form.getlist("presenter"), strict=False):
        if not title.strip():
            continue
        rows.append({"id": int(item_id) if item_id.isdigit() and len(item_id) < 10 else None,
                     "title": title, "time": at.strip() or None, "presenter": presenter or None})
    return rows


@bp.post("/meetings/<int:meeting_id>/agenda")
@login_required
def agenda(meeting_id: int):
    meeting = organised(meeting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        set_agenda(meeting, agenda_rows(request.form), current_user, utcnow())
    except DomainError as exc:
        _refused(exc)
        db.session.expire_all()
        return render_briefing(meeting, exc.status, _problems(exc))
    flash(_("Programme saved."), "success")
    return redirect(url_for("briefing.page", meeting_id=meeting.id), 303)


@bp.post("/meetings/<int:meeting_id>/documents")
@login_required
def upload(meeting_id: int):
    meeting = organised(meeting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    upload = request.files.get("file")
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    data = upload.stream.read(limit + 1) if upload else b""
    item = request.form.get("agenda_item", "")
    try:
        add_document(meeting, data, upload.filename if upload else None, current_user, utcnow(),
                     current_app.config, int(item) if item.isdigit() and len(item) < 10 else None)
    except DomainError as exc:
        _refused(exc)
        return render_briefing(meeting, exc.status, _problems(exc))
    flash(_("Document uploaded as a draft."), "success")
    return redirect(url_for("briefing.page", meeting_id=meeting.id), 303)


@bp.post("/meetings/<int:meeting_id>/documents/<int:document_id>/status")
@login_required
def status(meeting_id: int, document_id: int):
    meeting = organised(meeting_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    doc = db.session.get(Document, document_id)
    if doc is None or doc.meeting_id != meeting.id:
        abort(404)
    try:
        set_document_status(meeting, doc, request.form.get("status"), current_user, utcnow())
    except DomainError as exc:
        _refused(exc)
        return render_briefing(meeting, exc.status, _problems(exc))
    flash(_("Document published: the invited units are told.") if doc.status == "published"
          else _("Document back to draft."), "success")
    return redirect(url_for("briefing.page", meeting_id=meeting.id), 303)


@bp.get("/meetings/<int:meeting_id>/documents/<int:document_id>")
@login_required
def download(meeting_id: int, document_id: int):
    meeting = meeting_or_404(meeting_id)
    try:
        doc = document_for(meeting, document_id, current_user)
    except DomainError:
        abort(404)
    return file_download(document_bytes(doc, current_app.config), doc.filename, doc.content_type)


@bp.get("/documents/<int:document_id>/<token>")
def signed_download(document_id: int, token: str):
    """The link calendars (ATTACH) and e-mails carry: the signature stands for the session."""
    doc = db.session.get(Document, document_id)
    if doc is None or not check_document_token(current_app.config["SECRET_KEY"], token[:200], doc):
        abort(404)
    return file_download(document_bytes(doc, current_app.config), doc.filename, doc.content_type)
