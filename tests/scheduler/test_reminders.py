"""Reminders as rows: planned on booking, moved, withdrawn; sent once over real SMTP."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from models import Notification, Reminder, db
from models.base import LOCAL
from models.errors import Forbidden
from scheduler.attendance import respond
from scheduler.reminders import remind_pending_now, send_due_reminders
from scheduler.signals import meetings_saved

T0 = datetime(2030, 3, 4, 8, 0, tzinfo=LOCAL)  # a Monday morning
START = T0 + timedelta(days=2, hours=1)        # Wednesday 09:00


@pytest.fixture
def people(hanoi, make_user):
    return {"clerk_px": make_user("clerk", hanoi["phuc_xa"], email="vanthu.phucxa@hanoi.test"),
            "viewer_px": make_user("viewer", hanoi["phuc_xa"], email="lanhdao.phucxa@hanoi.test"),
            "clerk_tb": make_user("clerk", hanoi["truc_bach"], email="vanthu.trucbach@hanoi.test"),
            "clerk_hm": make_user("clerk", hanoi["hang_ma"], email="vanthu.hangma@hanoi.test"),
            "organizer": make_user("organizer", hanoi["ba_dinh"], email="vp.badinh@hanoi.test")}


@pytest.fixture
def book(hanoi, people, make_meeting):
    """Book a meeting of Ba Đình with Phúc Xá and Trúc Bạch, as the booking verbs would."""
    def make(start=START, **extra):
        with time_machine.travel(T0, tick=False):
            m = make_meeting(hanoi["ba_dinh"], start, participants=[hanoi["phuc_xa"], hanoi["truc_bach"]],
                             title="Giao ban công tác tháng 3 năm 2030", location="Hội trường UBND quận",
                             **extra)
            meetings_saved.send(None, meetings=[m], change="booked", actor=people["organizer"],
                                times_changed=True)
            db.session.commit()
        return m
    return make


def reminders(meeting) -> dict[tuple[str, str], Reminder]:
    rows = db.session.scalars(select(Reminder).where(Reminder.meeting_id == meeting.id)).all()
    return {(r.unit.code, r.kind): r for r in rows}


def send_at(moment, config) -> int:
    with time_machine.travel(moment, tick=False):
        return send_due_reminders(config, moment.astimezone(UTC))


def test_booking_plans_a_pending_and_an_upcoming_reminder_per_unit(book):
    m = book()
    rows = reminders(m)
    assert set(rows) == {("00001", "pending"), ("00001", "upcoming"),
                         ("00004", "pending"), ("00004", "upcoming")}
    assert rows[("00001", "pending")].due_at == START - timedelta(hours=24)
    assert rows[("00004", "upcoming")].due_at == START - timedelta(hours=1)
    assert all(r.sent_at is None and r.withdrawn_at is None for r in rows.values())


def test_reminders_go_out_when_due_and_never_twice(book, mail_config, smtp_server):
    m = book()
    assert send_at(T0, mail_config) == 0
    assert send_at(START - timedelta(hours=24, minutes=1), mail_config) == 0
    assert smtp_server.messages == []
    assert send_at(START - timedelta(hours=24), mail_config) == 2
    subjects = [str(msg["Subject"]) for msg in smtp_server.messages]
    assert all(s.startswith("Đề nghị xác nhận tham dự: Giao ban công tác tháng 3") for s in subjects)
    assert send_at(START - timedelta(hours=2), mail_config) == 0
    assert send_at(START - timedelta(minutes=59), mail_config) == 2
    assert send_at(START - timedelta(minutes=30), mail_config) == 0
    assert len(smtp_server.messages) == 4
    assert len(set(smtp_server.message_ids())) == 4
    assert all(r.sent_at is not None for r in reminders(m).values())


def test_the_email_has_recipients_vietnamese_text_and_an_ics(book, people, mail_config, smtp_server):
    people["viewer_px"].is_enabled = True
    db.session.commit()
    m = book()
    send_at(START - timedelta(minutes=50), mail_config)  # both kinds are due; "pending" first
    by_unit = {}
    for r in smtp_server.received:
        by_unit.setdefault(tuple(r["to"]), []).append(r["message"])
    assert set(by_unit) == {("vanthu.phucxa@hanoi.test", "lanhdao.phucxa@hanoi.test"),
                            ("vanthu.trucbach@hanoi.test",)}
    message = by_unit[("vanthu.phucxa@hanoi.test", "lanhdao.phucxa@hanoi.test")][-1]
    assert str(message["To"]) == "vanthu.phucxa@hanoi.test, lanhdao.phucxa@hanoi.test"
    assert str(message["Subject"]) == "Nhắc lịch họp: Giao ban công tác tháng 3 năm 2030 (09:00–11:00 ngày 06/03/2030)"
    body_part = message.get_body(("plain",))
    assert body_part.get_content_charset() == "utf-8"
    body = body_part.get_content()
    assert "Kính gửi: Phường Phúc Xá" in body and "09:00–11:00 ngày 06/03/2030" in body
    assert "Hình thức: Trực tuyến" in body and "Đơn vị tổ chức: Quận Ba Đình" in body
    [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_param("method") == "REQUEST"
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == m.uid
    assert event.decoded("DTSTART") == START
    asking = by_unit[("vanthu.trucbach@hanoi.test",)][0].get_body(("plain",)).get_content()
    assert "Xác nhận tham dự: https://giaoban.hanoi.test/answer/" in asking
    notices = db.session.scalars(select(Notification).where(Notification.meeting_id == m.id)).all()
    assert len(notices) == 4 and {n.kind for n in notices} == {"reminder_pending", "reminder_upcoming"}


def test_disabled_users_and_other_units_get_nothing(book, people, mail_config, smtp_server):
    people["viewer_px"].is_enabled = False
    db.session.commit()
    book()
    send_at(START - timedelta(minutes=50), mail_config)
    everyone = {a for r in smtp_server.received for a in r["to"]}
    assert everyone == {"vanthu.phucxa@hanoi.test", "vanthu.trucbach@hanoi.test"}


def test_a_unit_that_answered_gets_no_pending_reminder(book, people, hanoi, mail_config, smtp_server):
    m = book()
    with time_machine.travel(T0, tick=False):
        respond(m, hanoi["phuc_xa"], {"status": "confirmed", "attendee": "Nguyễn Văn An"},
                people["clerk_px"])
    assert send_at(START - timedelta(hours=23), mail_config) == 1
    assert [r["to"] for r in smtp_server.received] == [["vanthu.trucbach@hanoi.test"]]
    rows = reminders(m)
    assert rows[("00001", "pending")].withdrawn_at is not None
    assert rows[("00001", "pending")].sent_at is None


def test_a_meeting_moved_after_its_reminders_were_planned(book, people, mail_config, smtp_server):
    m = book()
    new_start = START + timedelta(days=1)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        m.start_at, m.end_at, m.revision = new_start, new_start + timedelta(hours=2), m.revision + 1
        meetings_saved.send(None, meetings=[m], change="changed", actor=people["organizer"],
                            times_changed=True)
        db.session.commit()
    assert reminders(m)[("00001", "pending")].due_at == new_start - timedelta(hours=24)
    assert send_at(START - timedelta(hours=24), mail_config) == 0  # the old due time
    assert send_at(new_start - timedelta(hours=24), mail_config) == 2


def test_a_reminder_already_sent_is_planned_again_for_the_new_time(book, people, mail_config,
                                                                    smtp_server):
    m = book()
    assert send_at(START - timedelta(hours=23), mail_config) == 2
    new_start = START + timedelta(hours=5)
    with time_machine.travel(START - timedelta(hours=22), tick=False):
        m.start_at, m.end_at, m.revision = new_start, new_start + timedelta(hours=2), m.revision + 1
        meetings_saved.send(None, meetings=[m], change="changed", actor=people["organizer"],
                            times_changed=True)
        db.session.commit()
    assert send_at(START - timedelta(hours=22), mail_config) == 0
    assert send_at(new_start - timedelta(hours=24), mail_config) == 2
    assert "(14:00–16:00 ngày 06/03/2030)" in str(smtp_server.messages[-1]["Subject"])


def test_a_cancelled_meeting_withdraws_its_reminders(book, people, mail_config, smtp_server):
    m = book()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        m.status, m.revision = "cancelled", m.revision + 1
        meetings_saved.send(None, meetings=[m], change="cancelled", actor=people["organizer"],
                            times_changed=False)
        db.session.commit()
    assert all(r.withdrawn_at is not None and r.sent_at is None for r in reminders(m).values())
    assert send_at(START - timedelta(minutes=30), mail_config) == 0
    assert smtp_server.messages == []


def test_an_uninvited_unit_loses_its_reminders_and_a_new_one_gains_them(book, people, hanoi,
                                                                         mail_config, smtp_server):
    m = book()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        m.invitations = [i for i in m.invitations if i.unit_id != hanoi["truc_bach"].id]
        from models import Invitation
        m.invitations.append(Invitation(unit=hanoi["hang_ma"]))
        meetings_saved.send(None, meetings=[m], change="changed", actor=people["organizer"],
                            times_changed=False)
        db.session.commit()
    rows = reminders(m)
    assert rows[("00004", "upcoming")].withdrawn_at is not None
    assert rows[("00043", "upcoming")].withdrawn_at is None
    send_at(START - timedelta(minutes=30), mail_config)
    assert {a for r in smtp_server.received for a in r["to"]} == {
        "vanthu.phucxa@hanoi.test", "lanhdao.phucxa@hanoi.test", "vanthu.hangma@hanoi.test"}


def test_nothing_is_sent_once_the_meeting_has_started(book, mail_config, smtp_server):
    m = book()
    assert send_at(START + timedelta(minutes=5), mail_config) == 0  # the scheduler was down
    assert smtp_server.messages == []
    assert all(r.withdrawn_at is not None for r in reminders(m).values())


def test_smtp_down_leaves_reminders_unsent_for_the_next_run(book, mail_config, smtp_server):
    from tests.scheduler.conftest import free_port

    m = book()
    down = {**mail_config, "MAIL_PORT": free_port()}
    assert send_at(START - timedelta(hours=23), down) == 0
    assert all(r.sent_at is None for r in reminders(m).values())
    assert send_at(START - timedelta(hours=23), mail_config) == 2


def test_remind_the_pending_ones_now(book, people, hanoi, mail_config, smtp_server, make_user):
    m = book()
    now = T0 + timedelta(hours=3)
    with time_machine.travel(now, tick=False):
        respond(m, hanoi["truc_bach"], {"status": "declined", "reason": "Trùng lịch tiếp dân"},
                people["clerk_tb"])
        with pytest.raises(Forbidden):
            remind_pending_now(m, make_user("organizer", hanoi["hoan_kiem"]))
        assert remind_pending_now(m, people["organizer"]) == 1
        assert remind_pending_now(m, people["organizer"]) == 1  # pressed twice: still one e-mail
    assert send_at(now + timedelta(seconds=30), mail_config) == 1
    assert [r["to"] for r in smtp_server.received] == [["vanthu.phucxa@hanoi.test",
                                                        "lanhdao.phucxa@hanoi.test"]]
    assert send_at(now + timedelta(minutes=2), mail_config) == 0


def test_starttls_is_required_when_configured(book, mail_config, smtp_server):
    m = book()
    # the loopback server offers no STARTTLS: with MAIL_USE_TLS nothing may go out in clear
    assert send_at(START - timedelta(hours=23), {**mail_config, "MAIL_USE_TLS": True}) == 0
    assert smtp_server.messages == []
    assert all(r.sent_at is None for r in reminders(m).values())


def _parsed(raw: bytes):
    """An e-mail as a mail client reads it: parsed from its bytes by the standard library."""
    import email
    from email.policy import default

    return email.message_from_bytes(raw, policy=default)


def test_each_reader_gets_the_reminder_in_the_language_they_chose(book, people, mail_config, smtp_server):
    """Vietnamese by default, English for a user who chose English: subject, text, HTML and the
    .ics labels come from the catalog (the notices' renderer), one e-mail per language."""
    people["viewer_px"].is_enabled = True
    people["viewer_px"].locale = "en"
    db.session.commit()
    m = book(mode="online")
    assert send_at(START - timedelta(hours=23), mail_config) == 2  # "pending": one row per unit
    by_to = {tuple(r["to"]): _parsed(r["message"].as_bytes()) for r in smtp_server.received}
    assert set(by_to) == {("vanthu.phucxa@hanoi.test",), ("lanhdao.phucxa@hanoi.test",),
                          ("vanthu.trucbach@hanoi.test",)}
    vi, en = by_to[("vanthu.phucxa@hanoi.test",)], by_to[("lanhdao.phucxa@hanoi.test",)]
    assert str(vi["Subject"]) == ("Đề nghị xác nhận tham dự: Giao ban công tác tháng 3 năm 2030 "
                                  "(09:00–11:00 ngày 06/03/2030)")
    assert str(en["Subject"]) == ("Please confirm attendance: Giao ban công tác tháng 3 năm 2030 "
                                  "(09:00–11:00 on 06/03/2030)")
    assert str(vi["Message-ID"]) != str(en["Message-ID"])
    vi_text, en_text = vi.get_body(("plain",)).get_content(), en.get_body(("plain",)).get_content()
    assert "Kính gửi: Phường Phúc Xá" in vi_text and "Đơn vị chưa xác nhận tham dự" in vi_text
    assert "Hình thức: Trực tuyến" in vi_text and "Đơn vị tổ chức: Quận Ba Đình" in vi_text
    assert "Xác nhận tham dự: https://giaoban.hanoi.test/answer/" in vi_text
    assert "To: Phường Phúc Xá" in en_text and "has not yet confirmed its attendance" in en_text
    assert "Mode: Online" in en_text and "Organiser: Quận Ba Đình" in en_text
    assert "Confirm attendance: https://giaoban.hanoi.test/answer/" in en_text
    assert "Kính gửi" not in en_text and "Xác nhận" not in en_text
    assert "Confirm attendance" in en.get_body(("html",)).get_content()
    for message, filename in ((vi, "cuoc-hop.ics"), (en, "meeting.ics")):
        [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert ics.get_filename() == filename and ics.get_param("method") == "REQUEST"
        calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
        assert str(calendar["METHOD"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == m.uid and event.decoded("DTSTART") == START
        assert str(event["SUMMARY"]) == "Giao ban công tác tháng 3 năm 2030"
    # the in-app notice is in Vietnamese, the language of the unit
    [notice] = db.session.scalars(select(Notification).where(
        Notification.meeting_id == m.id, Notification.unit_id == people["clerk_px"].unit_id)).all()
    assert notice.subject.startswith("Đề nghị xác nhận tham dự") and "Kính gửi" in notice.body


def test_the_upcoming_reminder_reads_as_a_reminder_in_english(book, people, mail_config, smtp_server):
    people["clerk_tb"].locale = "en"
    db.session.commit()
    book()
    send_at(START - timedelta(minutes=50), mail_config)
    english = [_parsed(r["message"].as_bytes()) for r in smtp_server.received
               if r["to"] == ["vanthu.trucbach@hanoi.test"]]
    subjects = sorted(str(m["Subject"]) for m in english)
    assert subjects == ["Please confirm attendance: Giao ban công tác tháng 3 năm 2030 (09:00–11:00 on 06/03/2030)",
                        "Reminder: Giao ban công tác tháng 3 năm 2030 (09:00–11:00 on 06/03/2030)"]
    upcoming = next(m for m in english if str(m["Subject"]).startswith("Reminder"))
    text = upcoming.get_body(("plain",)).get_content()
    assert "A reminder of the meeting below" in text and "Confirm attendance" not in text
