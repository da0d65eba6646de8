"""API: a meeting's programme, documents and roll call (#16), with the API's error format."""
from __future__ import annotations

from apiflask import HTTPError, Schema, fields, validators
from apiflask.schemas import FileSchema
from flask import current_app
from flask_babel import gettext as _
from marshmallow import RAISE

from models import Document, db
from models.base import ID_MAX, utcnow
from models.briefing import AGENDA_MAX, AGENDA_TITLE_MAX, DOCUMENT_STATUSES, REASON_MAX, ROLL_CALL_STATES
from models.errors import DomainError
from models.file_types import EXTENSIONS
from models.units import REF_MAX
from scheduler.briefing import (
    add_document,
    document_bytes,
    document_for,
    documents_of,
    set_agenda,
    set_document_status,
)
from scheduler.links import document_url
from scheduler.roll_call import check_in, is_open, mark_site, may_host, proposed_outcome, roll_call

from ..downloads import file_download
from .common import actor, auth, bp, fail, unit_or_404
from .meetings import meeting_or_404
from .schemas import JsonInteger, LocalDateTime


class AgendaItemIn(Schema):
    id = JsonInteger(allow_none=True, validate=validators.Range(1, ID_MAX),
                        metadata={"description": "Keep this item (its documents stay with it)."})
    title = fields.String(required=True, validate=validators.Length(min=1, max=AGENDA_TITLE_MAX))
    presenter = fields.String(allow_none=True, validate=validators.Length(max=REF_MAX),
                              metadata={"description": "The presenting unit's code.", "example": "legacy:00001"})
    time = fields.String(allow_none=True, validate=validators.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
                         metadata={"description": "Local wall-clock time, HH:MM.", "example": "08:30"})


class AgendaIn(Schema):
    items = fields.List(fields.Nested(AgendaItemIn), required=True, validate=validators.Length(max=AGENDA_MAX))


class AgendaItemOut(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    title = fields.String(required=True)
    presenter = fields.String(allow_none=True)
    presenter_name = fields.String(allow_none=True)
    time = fields.String(allow_none=True)


class DocumentOut(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "draft or published"})
    agenda_item = fields.Integer(allow_none=True)
    uploaded_at = LocalDateTime(required=True)
    published_at = LocalDateTime(allow_none=True)
    download_url = fields.String(allow_none=True, metadata={"description": "A signed link (published only)."})


class DocumentUpload(Schema):
    file = fields.File(required=True)
    # a form field cannot be null: leave it out for none
    agenda_item = fields.Integer(validate=validators.Range(1, ID_MAX))


class DocumentPatch(Schema):
    status = fields.String(required=True, validate=validators.OneOf(list(DOCUMENT_STATUSES)))


class MarkIn(Schema):
    state = fields.String(required=True, validate=validators.OneOf(list(ROLL_CALL_STATES)))
    reason = fields.String(allow_none=True, validate=validators.Length(max=REASON_MAX),
                           metadata={"description": "Required when absent."})


class SiteOut(Schema):
    unit = fields.String(required=True)
    unit_name = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "connected, in_person, absent or unknown"})
    reason = fields.String(allow_none=True)
    marked_at = LocalDateTime(allow_none=True)
    by_self = fields.Boolean(required=True)


class RollCallOut(Schema):
    open = fields.Boolean(required=True, metadata={"description": "Check-in is open (30 min before start to end)."})
    sites = fields.List(fields.Nested(SiteOut), required=True)


class ProposalOut(Schema):
    status = fields.String(required=True)
    mode = fields.String(required=True)
    connected = fields.List(fields.String(), required=True)


def _item(i) -> dict:
    return {"id": i.id, "position": i.position, "title": i.title,
            "presenter": i.presenter.ref if i.presenter else None,
            "presenter_name": i.presenter.name if i.presenter else None,
            "time": i.at.strftime("%H:%M") if i.at else None}


def _document(d: Document) -> dict:
    return {"id": d.id, "filename": d.filename, "content_type": d.content_type, "size": d.size,
            "status": d.status, "agenda_item": d.agenda_item_id, "uploaded_at": d.uploaded_at,
            "published_at": d.published_at,
            "download_url": document_url(current_app.config, d) if d.status == "published" else None}


def _site(inv, mark) -> dict:
    return {"unit": inv.unit.ref, "unit_name": inv.unit.name,
            "state": mark.state if mark is not None else "unknown",
            "reason": mark.reason if mark is not None else None,
            "marked_at": mark.marked_at if mark is not None else None,
            "by_self": bool(mark.by_self) if mark is not None else False}


def _hosted(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if not may_host(actor(), meeting):
        raise HTTPError(403, _("Only the meeting's host marks the roll call."), extra_data={"code": "forbidden"})
    return meeting


@bp.get("/meetings/<int:meeting_id>/agenda")
@bp.auth_required(auth)
@bp.output(AgendaItemOut(many=True))
@bp.doc(summary="A meeting's programme", responses=[404])
def get_agenda(meeting_id):
    return [_item(i) for i in meeting_or_404(meeting_id).agenda_items]


@bp.put("/meetings/<int:meeting_id>/agenda")
@bp.auth_required(auth)
@bp.input(AgendaIn, location="json")
@bp.output(AgendaItemOut(many=True))
@bp.doc(summary="Set a meeting's programme", description="The whole programme, in order: items with "
        "an `id` keep it, the others are new, the missing ones are removed.", responses=[403, 404, 422])
def put_agenda(meeting_id, json_data):
    meeting = meeting_or_404(meeting_id)
    try:
        items = set_agenda(meeting, json_data["items"], actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return [_item(i) for i in items]


@bp.get("/meetings/<int:meeting_id>/documents")
@bp.auth_required(auth)
@bp.output(DocumentOut(many=True))
@bp.doc(summary="A meeting's documents", description="Organisers see drafts too; the others who see "
        "the meeting, the published ones.", responses=[404])
def list_documents(meeting_id):
    meeting = meeting_or_404(meeting_id)
    try:
        return [_document(d) for d in documents_of(meeting, actor())]
    except DomainError as exc:
        fail(exc)


@bp.post("/meetings/<int:meeting_id>/documents")
@bp.auth_required(auth)
@bp.input(DocumentUpload, location="files", unknown=RAISE)  # webargs ignores unknown form fields otherwise
@bp.output(DocumentOut, status_code=201)
@bp.doc(summary="Upload a document (a draft)", description="PDF, DOCX, XLSX, PPTX, PNG or JPEG, told "
        "from the content; at most DOCUMENT_MAX_BYTES.", responses=[403, 404, 413, 422])
def upload_document(meeting_id, files_data):
    meeting = meeting_or_404(meeting_id)
    upload = files_data["file"]
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    try:
        doc = add_document(meeting, upload.stream.read(limit + 1), upload.filename, actor(), utcnow(),
                           current_app.config, files_data.get("agenda_item"))
    except DomainError as exc:
        fail(exc)
    return _document(doc)


@bp.patch("/meetings/<int:meeting_id>/documents/<int:document_id>")
@bp.auth_required(auth)
@bp.input(DocumentPatch, location="json")
@bp.output(DocumentOut)
@bp.doc(summary="Publish a document or put it back to draft",
        description="Publishing tells every invited unit (a notice through the outbox).",
        responses=[403, 404, 422])
def patch_document(meeting_id, document_id, json_data):
    meeting = meeting_or_404(meeting_id)
    doc = db.session.get(Document, document_id)
    if doc is None or doc.meeting_id != meeting.id:
        raise HTTPError(404, _("No such document."), extra_data={"code": "not_found"})
    try:
        set_document_status(meeting, doc, json_data["status"], actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return _document(doc)


@bp.get("/meetings/<int:meeting_id>/documents/<int:document_id>/content")
@bp.auth_required(auth)
@bp.output(FileSchema(type="string", format="binary"), content_type="application/octet-stream",
           description="The file, as an attachment, with its detected content type")
@bp.doc(summary="Download a document", responses=[404])
def document_content(meeting_id, document_id):
    meeting = meeting_or_404(meeting_id)
    try:
        doc = document_for(meeting, document_id, actor())
    except DomainError as exc:
        fail(exc)
    return file_download(document_bytes(doc, current_app.config), doc.filename, doc.content_type)


@bp.get("/meetings/<int:meeting_id>/roll-call")
@bp.auth_required(auth)
@bp.output(RollCallOut)
@bp.doc(summary="The roll call: every invited site and its state", responses=[403, 404])
def get_roll_call(meeting_id):
    meeting = _hosted(meeting_id)
    return {"open": is_open(meeting, utcnow()), "sites": [_site(i, m) for i, m in roll_call(meeting)]}


@bp.put("/meetings/<int:meeting_id>/roll-call/<unit_ref:unit>")
@bp.auth_required(auth)
@bp.input(MarkIn, location="json")
@bp.output(SiteOut)
@bp.doc(summary="The host marks a site", description="From 30 minutes before the start on.",
        responses=[403, 404, 422])
def put_mark(meeting_id, unit, json_data):
    meeting = _hosted(meeting_id)
    u = unit_or_404(unit)
    try:
        mark = mark_site(meeting, u, json_data, actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return _site(next(i for i in meeting.invitations if i.unit_id == u.id), mark)


@bp.post("/meetings/<int:meeting_id>/roll-call/<string:unit>/check-in")
@bp.auth_required(auth)
@bp.output(SiteOut)
@bp.doc(summary="A clerk checks their unit in", description="From 30 minutes before the start until "
        "the end; 422 outside that window.", responses=[403, 404, 422])
def post_check_in(meeting_id, unit):
    meeting = meeting_or_404(meeting_id)
    u = unit_or_404(unit)
    try:
        mark = check_in(meeting, u, actor(), utcnow())
    except DomainError as exc:
        fail(exc)
    return _site(next(i for i in meeting.invitations if i.unit_id == u.id), mark)


@bp.get("/meetings/<int:meeting_id>/roll-call/outcome")
@bp.auth_required(auth)
@bp.output(ProposalOut)
@bp.doc(summary="The outcome the roll call proposes",
        description="Confirm or correct it with `POST /meetings/{id}/outcome`.", responses=[403, 404])
def get_proposal(meeting_id):
    proposal = proposed_outcome(_hosted(meeting_id))
    return {k: proposal[k] for k in ("status", "mode", "connected")}


def document_types(spec: dict) -> dict:
    """The download answers the file's own type: list every accepted one in the document
    (called by the app's one spec processor, `webapp.errors`)."""
    for path in ("/api/v1/meetings/{meeting_id}/documents/{document_id}/content",
                 "/api/v1/tasks/{task_id}/evidence/{evidence_id}"):  # a follow-up task's evidence too
        operation = spec.get("paths", {}).get(path, {})
        content = operation.get("get", {}).get("responses", {}).get("200", {}).get("content")
        if content is not None:
            for kind in EXTENSIONS:
                content[kind] = {"schema": {"type": "string", "format": "binary"}}
    return spec

