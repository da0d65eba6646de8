"""Every invited unit is told: notices written with the change, delivered per channel, as iTIP."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, insert, select

from models import Delivery, Notice, Reminder, db
from models.base import utcnow
from scheduler.booking import book_meeting
from scheduler.changes import cancel_meeting, change_meeting
from scheduler.notices import send_due_notices
from scheduler.outbox import LoggingTransport
from scheduler.reminders import send_due_reminders
from tests.booking_data import local, meeting_data


@pytest.fixture
def clerks(hanoi, make_user):
    return {key: make_user("clerk", hanoi[key], email=f"vanthu.{key}@hanoi.test")
            for key in ("phuc_xa", "truc_bach", "hang_ma")}


@pytest.fixture
def booked(equipped, bridge, organizer, clerks, now):
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"])
    return book_meeting(data, organizer, now).meetings[0]


def notices_of(meeting_id: int) -> list[Notice]:
    return db.session.scalars(select(Notice).where(Notice.meeting_id == meeting_id).order_by(Notice.id)).all()


def vi(app):
    from scheduler.jobs import translator_for
    return translator_for(app)


def test_booking_writes_one_notice_per_unit_with_in_app_delivered_at_once(booked, hanoi):
    rows = notices_of(booked.id)
    assert sorted(n.unit.code for n in rows) == ["00001", "00004"]
    assert {n.kind for n in rows} == {"booked"} and {n.method for n in rows} == {"REQUEST"}
    for n in rows:
        channels = {(d.channel, d.sent_at is not None) for d in n.deliveries}
        assert channels == {("in_app", True), ("email", False)}


def test_a_failed_booking_writes_no_notice(equipped, bridge, organizer, clerks, now, booked):
    from models.errors import Conflict
    before = db.session.scalar(select(func.count(Notice.id)))
    with pytest.raises(Conflict):  # the same endpoints at the same time
        book_meeting(meeting_data(bridge=bridge.id, participants=["legacy:00001"]), organizer, now)
    assert db.session.scalar(select(func.count(Notice.id))) == before


def test_a_change_says_what_changed_and_units_added_or_removed_are_told(booked, organizer, now, app):
    change_meeting(booked, {"start": local(2019, 3, 4, 14, 0), "end": local(2019, 3, 4, 16, 0),
                            "location": "Hội trường B",
                            "participants": ["legacy:00001", "legacy:00043"]}, organizer, now)
    rows = {(n.unit.code, n.kind): n for n in notices_of(booked.id) if n.kind != "booked"}
    assert set(rows) == {("00001", "changed"), ("00043", "unit_added"), ("00004", "unit_removed")}
    assert rows[("00004", "unit_removed")].method == "CANCEL"
    changes = {c["field"]: c for c in rows[("00001", "changed")].changes}
    assert set(changes) == {"when", "location"}
    from scheduler.notices import describe
    words = describe(rows[("00001", "changed")].changes, vi(app)("vi"))
    assert ("Thời gian", "08:00–10:00 ngày 04/03/2019", "14:00–16:00 ngày 04/03/2019") in words


@pytest.fixture
def english_clerk(clerks):
    clerks["truc_bach"].locale = "en"
    db.session.commit()


def test_emails_are_itip_in_vietnamese_or_english(english_clerk, booked, organizer, clerks, now, app,
                                                  mail_config, smtp_server):
    assert send_due_notices(mail_config, utcnow(), vi(app)) == 2
    by_to = {str(m["To"]): m for m in smtp_server.messages}
    px = by_to["vanthu.phuc_xa@hanoi.test"]
    assert px.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in px.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    assert str(px["Subject"]).startswith("Giấy mời: Giao ban trực tuyến")
    text = px.get_body(("plain",)).get_content()
    assert "Xác nhận tham dự: https://giaoban.hanoi.test/answer/" in text and "Cầu truyền hình" in text
    cal_part = [p for p in px.iter_parts() if p.get_content_type() == "text/calendar"][0]
    assert cal_part.get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(cal_part.get_payload(decode=True))
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST" and str(event["UID"]) == booked.uid
    assert int(event["SEQUENCE"]) == booked.revision
    assert str(by_to["vanthu.truc_bach@hanoi.test"]["Subject"]).startswith("Invitation: Giao ban")
    cancel_meeting(booked, organizer, now, reason="Trùng lịch họp Thành uỷ")
    assert send_due_notices(mail_config, utcnow(), vi(app)) == 2
    cancel = smtp_server.messages[-1]
    part = [p for p in cancel.iter_parts() if p.get_content_type() == "text/calendar"][0]
    assert part.get_param("method") == "CANCEL"
    assert "Trùng lịch họp Thành uỷ" in cancel.get_body(("plain",)).get_content() or \
        "Trùng lịch họp Thành uỷ" in cancel.get_body(("plain",)).get_content()
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert str(cal["METHOD"]) == "CANCEL"
    assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == booked.revision == 1


def test_a_series_is_one_notice_and_one_email_per_unit_with_the_rrule(
        equipped, bridge, organizer, clerks, now, app, mail_config, smtp_server):
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"],
                        rrule="FREQ=WEEKLY;COUNT=10")
    m = book_meeting(data, organizer, now).meetings[0]
    rows = db.session.scalars(select(Notice).where(Notice.series_id == m.series_id)).all()
    assert len(rows) == 2 and {n.occurrences for n in rows} == {10}
    change_meeting(m, {"title": "Giao ban tuần"}, organizer, now, scope="all")
    assert db.session.scalar(select(func.count(Notice.id))) == 4
    assert send_due_notices(mail_config, utcnow(), vi(app)) == 4
    cals = [icalendar.Calendar.from_ical(
        [p for p in msg.iter_parts() if p.get_content_type() == "text/calendar"][0].get_payload(decode=True))
        for msg in smtp_server.messages]
    assert all(str(c["METHOD"]) == "REQUEST" and "RRULE" in c.walk("VEVENT")[0] for c in cals)
    one = db.session.scalars(select(Notice).where(Notice.series_id == m.series_id)).first().meeting
    occurrence = db.session.get(type(one), one.id + 1)
    change_meeting(occurrence, {"location": "Phòng họp số 2"}, organizer, now, scope="this")
    assert send_due_notices(mail_config, utcnow(), vi(app)) == 2
    cal = icalendar.Calendar.from_ical([p for p in smtp_server.messages[-1].iter_parts()
                                        if p.get_content_type() == "text/calendar"][0].get_payload(decode=True))
    assert "RECURRENCE-ID" in cal.walk("VEVENT")[0]


def test_email_off_and_unit_contacts(booked, clerks, hanoi, organizer, now, app, mail_config, smtp_server):
    clerks["phuc_xa"].email_notices = False
    hanoi["phuc_xa"].contact_emails = "ubnd.phucxa@hanoi.test\nvanphong.phucxa@hanoi.test"
    db.session.commit()
    change_meeting(booked, {"title": "Giao ban đột xuất"}, organizer, now)
    send_due_notices(mail_config, utcnow(), vi(app))
    told = Counter(a for r in smtp_server.received for a in r["to"])
    assert told["ubnd.phucxa@hanoi.test"] == 1 and told["vanphong.phucxa@hanoi.test"] == 1
    assert told["vanthu.phuc_xa@hanoi.test"] == 1  # the booking's notice, before e-mail was off
    change_px = [n for n in notices_of(booked.id) if n.kind == "changed" and n.unit.code == "00001"][0]
    assert {d.channel for d in change_px.deliveries} == {"in_app", "email"}
    assert "vanthu.phuc_xa@hanoi.test" not in {d.recipient for d in change_px.deliveries}


def test_a_poison_message_never_blocks_the_five_behind_it(booked, app, mail_config, smtp_server):
    """550 at RCPT for one address: retried with backoff, then parked; the others all go."""
    for i in range(5):
        db.session.add(Delivery(notice_id=notices_of(booked.id)[0].id, channel="email",
                                recipient=f"sau.{i}@hanoi.test", due_at=utcnow()))
    db.session.add(Delivery(notice_id=notices_of(booked.id)[0].id, channel="email",
                            recipient="bad@hanoi.test", due_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()

    async def refuse(server, session, envelope, address, rcpt_options):
        if address.startswith("bad@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtp_server.handle_RCPT = refuse
    config = {**mail_config, "DELIVERY_MAX_ATTEMPTS": 3, "DELIVERY_BACKOFF_SECONDS": 60}
    now = utcnow()
    assert send_due_notices(config, now, vi(app)) == 7  # 2 invitations + 5, the poison first in line
    for minutes in (1, 3):
        send_due_notices(config, now + timedelta(minutes=minutes, seconds=1), vi(app))
    bad = db.session.scalar(select(Delivery).where(Delivery.recipient == "bad@hanoi.test"))
    assert bad.failed_at is not None and bad.attempts == 3 and "550" in bad.last_error
    assert bad.sent_at is None
    assert len(smtp_server.messages) == 7


def test_a_header_that_cannot_be_encoded_is_parked_alone(booked, app, mail_config):
    notice = notices_of(booked.id)[0]
    # A line feed can no longer be set on a single-line column (models.base), so the poison is
    # planted as data written before that rule, through Core.
    db.session.execute(insert(Delivery.__table__).values(
        notice_id=notice.id, channel="email", recipient="thư@xã\n.vn", due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    transport = LoggingTransport()
    config = {**mail_config, "DELIVERY_MAX_ATTEMPTS": 1}
    assert send_due_notices(config, utcnow(), vi(app), transports={"email": transport}) == 2
    assert len(transport.sent) == 2
    parked = db.session.scalars(select(Delivery).where(Delivery.failed_at.is_not(None))).all()
    assert len(parked) == 1 and parked[0].last_error


def test_refused_for_a_while_then_accepted_delivers_each_once(booked, app, mail_config, smtp_server):
    refusing = {"on": True}

    async def maybe(server, session, envelope, address, rcpt_options):
        if refusing["on"]:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtp_server.handle_RCPT = maybe
    now = utcnow()
    assert send_due_notices(mail_config, now, vi(app)) == 0
    assert send_due_notices(mail_config, now + timedelta(seconds=10), vi(app)) == 0  # backing off
    refusing["on"] = False
    assert send_due_notices(mail_config, now + timedelta(minutes=5), vi(app)) == 2
    assert send_due_notices(mail_config, now + timedelta(minutes=60), vi(app)) == 0
    assert sorted(Counter(smtp_server.message_ids()).values()) == [1, 1]


def test_an_unreachable_server_keeps_the_in_app_notice(booked, app, mail_config):
    from tests.scheduler.conftest import free_port
    down = {**mail_config, "MAIL_PORT": free_port()}
    assert send_due_notices(down, utcnow(), vi(app)) == 0
    rows = notices_of(booked.id)
    assert len(rows) == 2
    assert all(d.sent_at is not None for n in rows for d in n.deliveries if d.channel == "in_app")
    assert all(d.attempts == 0 and d.sending_at is None for n in rows for d in n.deliveries)


def test_a_failing_channel_never_takes_another_with_it(booked, app, mail_config, smtp_server):
    broken = LoggingTransport(fail=lambda message: RuntimeError("gateway down"))
    for n in notices_of(booked.id):
        db.session.add(Delivery(notice_id=n.id, channel="sms", recipient="+84900000000", due_at=utcnow()))
    db.session.commit()
    assert send_due_notices(mail_config, utcnow(), vi(app), transports={"sms": broken}) == 2
    assert len(smtp_server.messages) == 2


def test_without_mail_server_emails_are_eml_files(booked, app, tmp_path):
    config = {**app.config, "MAIL_SERVER": "", "OUTBOX_DIR": str(tmp_path / "outbox")}
    assert send_due_notices(config, utcnow(), vi(app)) == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2 and b"METHOD:REQUEST" in files[0].read_bytes()


def test_a_claimed_message_is_sent_again_only_with_the_same_message_id(booked, app, mail_config):
    """A sender that died between the claim and the record: after the lease, the same Message-ID."""
    first = LoggingTransport()
    now = utcnow()
    email = db.session.scalar(select(Delivery).where(Delivery.channel == "email").order_by(Delivery.id))
    email.sending_at, email.claimed_by = now - timedelta(seconds=30), "dead:1"
    db.session.commit()
    config = {**mail_config, "DELIVERY_LEASE_SECONDS": 120}
    assert send_due_notices(config, now, vi(app), transports={"email": first}) == 1  # the other one
    later = LoggingTransport()
    assert send_due_notices(config, now + timedelta(seconds=100), vi(app), transports={"email": later}) == 1
    assert str(later.sent[0]["Message-ID"]) == f"<notice-{email.notice_id}-{email.id}@giaoban>"


def test_a_poison_reminder_never_blocks_the_others(booked, mail_config, smtp_server, hanoi):
    """A title with a line feed and a refused recipient: the reminders behind them go out."""
    booked.title = "Giao ban\nBcc: everyone@evil.test"
    db.session.commit()
    rows = [Reminder(meeting_id=booked.id, unit_id=inv.unit_id, kind=kind, due_at=local(2019, 2, 28, 8, 0))
            for inv in booked.invitations for kind in ("pending", "upcoming")]
    db.session.add_all(rows)
    db.session.commit()
    ids = [r.id for r in rows]
    refused = {"vanthu.phuc_xa@hanoi.test"}

    async def refuse(server, session, envelope, address, rcpt_options):
        if address in refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtp_server.handle_RCPT = refuse
    from datetime import UTC, datetime
    at = datetime(2019, 3, 1, tzinfo=UTC)  # before the meeting
    assert send_due_reminders(mail_config, at) == 2  # Trúc Bạch's two; Phúc Xá's wait for a retry
    assert all("\n" not in str(m["Subject"]) and "Bcc" not in m for m in smtp_server.messages)
    stuck = db.session.scalars(select(Reminder).where(Reminder.id.in_(ids), Reminder.sent_at.is_(None))).all()
    assert len(stuck) == 2 and all(r.attempts == 1 and "550" in r.last_error for r in stuck)


def test_remind_now_is_throttled(booked, organizer, now, mail_config, smtp_server):
    from models.errors import Conflict
    from scheduler.reminders import remind_pending_now
    at = now
    assert remind_pending_now(booked, organizer, at) == 2
    assert send_due_reminders(mail_config, at + timedelta(seconds=5)) == 2
    with pytest.raises(Conflict):
        remind_pending_now(booked, organizer, at + timedelta(minutes=1))
    assert remind_pending_now(booked, organizer, at + timedelta(minutes=11)) == 2


def test_the_organiser_is_asked_for_the_outcome_once(booked, hanoi, make_user, app, mail_config, smtp_server):
    from scheduler.jobs import awaiting_outcome_notices
    make_user("clerk", hanoi["city"], email="vanphong.thanhpho@hanoi.test")
    later = booked.end_at + timedelta(hours=1)
    assert awaiting_outcome_notices(later) == 1
    assert awaiting_outcome_notices(later + timedelta(hours=1)) == 0
    [asked] = [n for n in notices_of(booked.id) if n.kind == "outcome_request"]
    assert asked.unit_id == hanoi["city"].id and asked.method is None
    send_due_notices(mail_config, utcnow(), vi(app))
    [mail] = [m for m in smtp_server.messages if str(m["To"]) == "vanphong.thanhpho@hanoi.test"]
    assert str(mail["Subject"]).startswith("Đề nghị ghi kết quả: Giao ban trực tuyến")
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_a_unit_removed_gets_a_cancel_that_reads_cancelled(booked, organizer, now, app, mail_config, smtp_server):
    """RFC 5546 3.2.5: the unit taken off a meeting that still takes place is sent a CANCEL whose
    event is CANCELLED; the units still invited get a REQUEST whose event is CONFIRMED."""
    send_due_notices(mail_config, utcnow(), vi(app))
    sent_before = len(smtp_server.messages)
    change_meeting(booked, {"participants": ["legacy:00001"]}, organizer, now)
    send_due_notices(mail_config, utcnow(), vi(app))
    [message] = [m for m in smtp_server.messages[sent_before:] if m["To"] == "vanthu.truc_bach@hanoi.test"]
    part = [p for p in message.iter_parts() if p.get_content_type() == "text/calendar"][0]
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == booked.uid


def test_a_series_email_reads_its_recurrence_in_words_in_each_language(
        english_clerk, equipped, bridge, organizer, clerks, now, app, mail_config, smtp_server):
    """The rule in words, never FREQ=...: "Hằng tuần vào thứ Hai, 8 buổi, từ 04/03/2019"."""
    data = meeting_data(bridge=bridge.id, participants=["legacy:00001", "legacy:00004"],
                        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=8")
    book_meeting(data, organizer, now)
    assert send_due_notices(mail_config, utcnow(), vi(app)) == 2
    by_to = {str(m["To"]): m.get_body(("plain",)).get_content() for m in smtp_server.messages}
    vietnamese, english = by_to["vanthu.phuc_xa@hanoi.test"], by_to["vanthu.truc_bach@hanoi.test"]
    assert "Chuỗi họp: Hằng tuần vào thứ Hai, 8 buổi, từ 04/03/2019" in vietnamese
    assert "Series: Weekly on Monday, 8 occurrences, from 04/03/2019" in english
    assert "FREQ=" not in vietnamese + english
