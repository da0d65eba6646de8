"""The programme and documents of a briefing: set whole, checked from the content, published to
the invited units, and carried by the e-mails and the calendar event."""
from __future__ import annotations

import unicodedata
from datetime import time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from models import Delivery, Document, Notice, db
from models.errors import Forbidden, ValidationFailed
from models.file_types import DOCX, JPEG, PDF, PNG, PPTX, XLSX, detect_type
from scheduler import ical
from scheduler.booking import book_meeting
from scheduler.briefing import (
    add_document,
    attachment_loader,
    clean_upload,
    document_bytes,
    document_for,
    documents_of,
    set_agenda,
    set_document_status,
)
from scheduler.links import check_document_token, document_token
from scheduler.notices import render_lines
from tests import briefing_files as files
from tests.booking_data import meeting_data

SETTINGS = {"DOCUMENT_MAX_BYTES": 1024 * 1024, "DOCUMENT_STORAGE": "database",
            "SECRET_KEY": "k", "PUBLIC_URL": "https://giaoban.hanoi.test"}


@pytest.fixture
def meeting(equipped, bridge, organizer, now):
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"])
    return book_meeting(data, organizer, now).meetings[0]


PROGRAMME = [{"title": "Khai mạc", "time": "08:00", "presenter": "legacy:001"},
             {"title": "Báo cáo tình hình", "presenter": "legacy:00001"},
             {"title": "Kết luận", "time": "09:45"}]


def test_the_programme_is_set_whole_in_order_and_bumps_the_revision(meeting, organizer, now, hanoi):
    revision = meeting.revision
    items = set_agenda(meeting, PROGRAMME, organizer, now)
    assert [(i.position, i.title, i.at) for i in items] == [
        (1, "Khai mạc", time(8, 0)), (2, "Báo cáo tình hình", None), (3, "Kết luận", time(9, 45))]
    assert items[1].presenter.id == hanoi["phuc_xa"].id and meeting.revision == revision + 1
    kept = items[2].id
    again = set_agenda(meeting, [{"id": kept, "title": "Kết luận của chủ trì"}, {"title": "Bế mạc"}],
                       organizer, now)
    assert [i.title for i in again] == ["Kết luận của chủ trì", "Bế mạc"] and again[0].id == kept
    db.session.expire_all()
    assert [i.title for i in meeting.agenda_items] == ["Kết luận của chủ trì", "Bế mạc"]


@pytest.mark.parametrize("items, field", [
    ([{"title": " "}], "items.0.title"),
    ([{"title": "x" * 301}], "items.0.title"),
    ([{"title": "A", "time": "8h"}], "items.0.time"),
    ([{"title": "A", "presenter": "legacy:99999"}], "items.0.presenter"),
    ([{"title": "A", "id": 999999}], "items.0.id"),
    ("not a list", "items"),
])
def test_a_bad_programme_names_the_field_and_writes_nothing(meeting, organizer, now, items, field):
    with pytest.raises(ValidationFailed) as caught:
        set_agenda(meeting, items, organizer, now)
    assert field in caught.value.details
    db.session.expire_all()
    assert meeting.agenda_items == []


def test_only_the_organiser_sets_the_programme(meeting, make_user, hanoi, now):
    with pytest.raises(Forbidden):
        set_agenda(meeting, PROGRAMME, make_user("clerk", hanoi["phuc_xa"]), now)


@pytest.mark.parametrize("data, kind", [
    (files.PDF, PDF), (files.PNG, PNG), (files.JPEG, JPEG), (files.ooxml(DOCX), DOCX),
    (files.ooxml(XLSX), XLSX), (files.ooxml(PPTX), PPTX),
    (files.ooxml(DOCX, main=False), None), (files.plain_zip(), None), (b"MZ\x90\x00", None),
    (b"<html><script>alert(1)</script>", None), (b"PK\x03\x04broken", None),
])
def test_the_type_comes_from_the_content(data, kind):
    assert detect_type(data) == kind


@pytest.mark.parametrize("data, name, message", [
    (b"", "a.pdf", "Choose a file."),
    (b"%PDF-" + b"0" * 2000, "a.pdf", "larger than"),
    (b"GIF89a", "a.gif", "Only PDF"),
    (files.PNG, "bao-cao.pdf", "ends in .pdf"),
])
def test_bad_uploads_are_refused_naming_the_file(data, name, message):
    with pytest.raises(ValidationFailed) as caught:
        clean_upload(data, name, 1000)
    assert message in caught.value.details["file"][0]


def test_vietnamese_names_are_kept_in_nfc_and_get_their_ending():
    decomposed = unicodedata.normalize("NFD", "C:\\Tài liệu\\Báo cáo quý I.pdf")
    assert clean_upload(files.PDF, decomposed, 10_000) == ("Báo cáo quý I.pdf", PDF)
    assert clean_upload(files.ooxml(DOCX), "Giấy mời", 10_000) == ("Giấy mời.docx", DOCX)
    assert clean_upload(files.JPEG, "ảnh.JPEG", 10_000)[0] == "ảnh.JPEG"


def test_publishing_tells_every_invited_unit_through_the_outbox(meeting, organizer, now, hanoi):
    doc = add_document(meeting, files.PDF, "Báo cáo.pdf", organizer, now, SETTINGS)
    assert doc.status == "draft" and doc.size == len(files.PDF) and doc.content_type == PDF
    assert document_bytes(doc, SETTINGS) == files.PDF
    before = db.session.scalar(select(db.func.count(Notice.id)))
    set_document_status(meeting, doc, "published", organizer, now)
    notices = db.session.scalars(select(Notice).where(Notice.kind == "documents_published")).all()
    assert sorted(n.unit_id for n in notices) == sorted([hanoi["phuc_xa"].id, hanoi["truc_bach"].id])
    assert db.session.scalar(select(db.func.count(Notice.id))) == before + 2
    channels = {d.channel for n in notices for d in n.deliveries}
    assert "in_app" in channels and db.session.scalar(select(db.func.count(Delivery.id))) > 0
    set_document_status(meeting, doc, "published", organizer, now)  # again: nothing new
    assert db.session.scalar(select(db.func.count(Notice.id))) == before + 2
    with pytest.raises(ValidationFailed):
        set_document_status(meeting, doc, "secret", organizer, now)


def test_invitees_list_only_published_documents_and_a_draft_is_hidden(meeting, organizer, make_user, hanoi, now):
    clerk = make_user("clerk", hanoi["phuc_xa"])
    draft = add_document(meeting, files.PDF, "Dự thảo.pdf", organizer, now, SETTINGS)
    published = add_document(meeting, files.PNG, "Sơ đồ.png", organizer, now, SETTINGS)
    set_document_status(meeting, published, "published", organizer, now)
    assert documents_of(meeting, organizer) == [draft, published]
    assert documents_of(meeting, clerk) == [published]
    from models.errors import NotFound
    with pytest.raises(NotFound):
        document_for(meeting, draft.id, clerk)
    with pytest.raises(NotFound):
        documents_of(meeting, make_user("clerk", hanoi["dong_xuan"]))


def test_the_signed_link_works_while_the_document_is_published(meeting, organizer, now):
    doc = add_document(meeting, files.PDF, "a.pdf", organizer, now, SETTINGS)
    assert not check_document_token("k", document_token("k", doc), doc)  # a draft: no link
    set_document_status(meeting, doc, "published", organizer, now)
    token = document_token("k", doc)
    assert check_document_token("k", token, doc) and not check_document_token("other", token, doc)
    set_document_status(meeting, doc, "draft", organizer, now + timedelta(minutes=1))
    assert not check_document_token("k", token, doc)


def test_the_programme_and_documents_reach_the_email_and_the_calendar(meeting, organizer, now):
    set_agenda(meeting, PROGRAMME, organizer, now)
    doc = add_document(meeting, files.PDF, "Báo cáo tháng.pdf", organizer, now, SETTINGS)
    draft = add_document(meeting, files.PNG, "Nháp.png", organizer, now, SETTINGS)
    set_document_status(meeting, doc, "published", organizer, now)
    lines = [text for text, _link in render_lines("documents_published", meeting,
                                                  meeting.invitations[0].unit, lambda m: m, SETTINGS)]
    assert "A document of the meeting below has been published." in lines
    assert "1. 08:00 Khai mạc (Quận Ba Đình)" in lines and "2. Báo cáo tình hình (Phường Phúc Xá)" in lines
    assert any(line.startswith("- Báo cáo tháng.pdf: https://giaoban.hanoi.test/documents/") for line in lines)
    assert not any("Nháp" in line for line in lines)
    ctx = ical.make_context("https://giaoban.hanoi.test", "o@x", load_documents=attachment_loader(SETTINGS))
    cal = icalendar.Calendar.from_ical(ical.meeting_calendar_bytes(meeting, ctx))
    [event] = cal.walk("VEVENT")
    assert "Programme:\n1. 08:00 Khai mạc (Quận Ba Đình)\n2. Báo cáo tình hình" in str(event["DESCRIPTION"])
    attach = event["ATTACH"]
    attach = attach if isinstance(attach, list) else [attach]
    assert len(attach) == 1 and str(attach[0]).startswith(f"https://giaoban.hanoi.test/documents/{doc.id}/")
    assert attach[0].params["FILENAME"] == "Báo cáo tháng.pdf"
    assert db.session.get(Document, draft.id).status == "draft"


def test_the_published_notice_is_sent_by_the_outbox_with_the_documents_link(meeting, organizer, now, make_user,
                                                                            hanoi, app):
    from scheduler.notices import send_due_notices
    from scheduler.outbox import LoggingTransport

    make_user("clerk", hanoi["phuc_xa"], email="vanthu.phucxa@hanoi.test")
    config = {**app.config, **SETTINGS, "MAIL_SENDER": "giaoban@hanoi.test"}
    send_due_notices(config, transports={"email": LoggingTransport()})  # the booking's invitations
    doc = add_document(meeting, files.PDF, "Báo cáo.pdf", organizer, now, SETTINGS)
    set_document_status(meeting, doc, "published", organizer, now)
    transport = LoggingTransport()
    assert send_due_notices(config, transports={"email": transport}) == 1
    [message] = transport.sent
    assert str(message["Subject"]).startswith("Documents: ") and message["To"] == "vanthu.phucxa@hanoi.test"
    text = message.get_body(("plain",)).get_content()
    assert f"- Báo cáo.pdf: https://giaoban.hanoi.test/documents/{doc.id}/" in text
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_an_occurrence_with_its_own_programme_gets_its_own_override(equipped, bridge, organizer, now):
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001"], rrule="FREQ=WEEKLY;COUNT=3")
    rows = book_meeting(data, organizer, now).meetings
    set_agenda(rows[1], [{"title": "Sơ kết quý"}], organizer, now)
    doc = add_document(rows[2], files.PDF, "Quý.pdf", organizer, now, SETTINGS)
    set_document_status(rows[2], doc, "published", organizer, now)
    ctx = ical.make_context("https://giaoban.hanoi.test", "o@x", load_documents=attachment_loader(SETTINGS))
    cal = icalendar.Calendar.from_ical(ical.meeting_calendar_bytes(rows[0], ctx))
    events = cal.walk("VEVENT")
    overrides = [e for e in events if "RECURRENCE-ID" in e]
    assert len(overrides) == 2
    assert any("Sơ kết quý" in str(e.get("DESCRIPTION", "")) for e in overrides)
    assert any("ATTACH" in e for e in overrides) and not any("ATTACH" in e for e in events if "RRULE" in e)


def test_a_document_of_an_agenda_item_falls_back_to_the_meeting_when_the_item_goes(meeting, organizer, now):
    items = set_agenda(meeting, PROGRAMME, organizer, now)
    with pytest.raises(ValidationFailed) as caught:
        add_document(meeting, files.PDF, "a.pdf", organizer, now, SETTINGS, agenda_item_id=999999)
    assert "agenda_item" in caught.value.details
    doc = add_document(meeting, files.PDF, "Báo cáo.pdf", organizer, now, SETTINGS, agenda_item_id=items[1].id)
    assert doc.agenda_item_id == items[1].id
    set_agenda(meeting, [{"id": items[0].id, "title": "Khai mạc"}], organizer, now)
    db.session.expire_all()
    assert db.session.get(Document, doc.id).agenda_item_id is None
