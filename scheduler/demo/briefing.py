"""The demo's paperless briefing: a programme and documents, a roll call, minutes and tasks.

`flask demo generate` makes meetings and accounts; this puts the meeting itself on the present
through the same verbs the pages call (`scheduler.briefing`, `scheduler.roll_call`,
`scheduler.followup`), acting as the City office's demo account at the moments the story needs:

- the next weekly City briefing gets a programme (each item with its time and presenting unit),
  a published invitation letter and a draft report;
- the last City briefing held online (one of at most 60 invited units when there is one) gets
  its roll call (from who connected: the others absent
  with a reason), published minutes and a published conclusions notice with three tasks for
  invited units (one done, one in progress, one overdue; the demo clerk's unit leads one when
  it was invited).

As the rest of the demo, it is told in the app only: the e-mails the verbs queue are taken back
out of the outbox. Run again, it finds the meetings furnished and does nothing.
"""
from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from models import Delivery, Invitation, Meeting, Unit, User, db
from models.base import LOCAL
from models.briefing import AgendaItem, Document

from ..briefing import add_document, set_agenda, set_document_status
from ..followup import add_task, publish_conclusions, publish_minutes, save_conclusions, save_minutes, update_task
from ..roll_call import mark_site

ORGANIZER_EMAIL = "demo.vanphong@giaoban.local"
HELD_INVITED_MAX = 60
CLERK_EMAIL = "demo.phuongphucxa@giaoban.local"
#: (minutes after the start, title, presenter's level) of the briefing's programme
PROGRAMME = ((0, "Khai mạc, giới thiệu đại biểu", "city"),
             (10, "Báo cáo tình hình kinh tế - xã hội tuần qua và nhiệm vụ tuần tới", "department"),
             (40, "Tiến độ chuyển đổi số và cải cách hành chính", "department"),
             (70, "Ý kiến của các xã, phường", "commune"),
             (100, "Kết luận của đồng chí Chủ tịch UBND Thành phố", "city"))
ABSENT_REASONS = ("Mất kết nối đường truyền", "Trùng lịch tiếp công dân", "Điểm cầu đang bảo trì")
#: (title, status, due: days after the meeting's day, or None for ten days after today)
TASKS = (("Rà soát, kiểm tra thiết bị điểm cầu trước kỳ giao ban tới", "done", 5),
         ("Tổng hợp kiến nghị của người dân về thủ tục hành chính", "in_progress", None),
         ("Báo cáo kết quả giải ngân vốn đầu tư công", "assigned", 1))  # overdue by now


def pdf(title: str) -> bytes:
    """A one-page PDF whose page reads `title` (ASCII only: the demo's files are placeholders)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _city_meetings(city: Unit):
    return (select(Meeting).where(Meeting.organizer_id == city.id, Meeting.category == "giao_ban")
            .options(selectinload(Meeting.invitations).selectinload(Invitation.unit)))


def _presenter(meeting: Meeting, level: str, taken: set[int]) -> Unit:
    if level == "city":
        return meeting.organizer
    units = sorted((i.unit for i in meeting.invitations if i.unit.level == level and i.unit_id not in taken),
                   key=lambda u: u.code)
    unit = units[0] if units else meeting.organizer
    taken.add(unit.id)
    return unit


def furnish_upcoming(meeting: Meeting, actor: User, settings) -> int:
    """A programme, a published invitation letter and a draft report; answers the documents."""
    start = meeting.start_at.astimezone(LOCAL)
    prepared = meeting.start_at - timedelta(days=3)
    taken: set[int] = set()
    items = set_agenda(meeting, [{"title": title, "presenter": _presenter(meeting, level, taken).ref,
                                  "time": (start + timedelta(minutes=after)).strftime("%H:%M")}
                                 for after, title, level in PROGRAMME], actor, prepared)
    letter = add_document(meeting, pdf("Giay moi hop giao ban"), "Giấy mời họp giao ban.pdf", actor,
                          prepared, settings)
    set_document_status(meeting, letter, "published", actor, prepared + timedelta(hours=1))
    add_document(meeting, pdf("Du thao bao cao tuan"), "Dự thảo báo cáo tuần.pdf", actor,
                 prepared + timedelta(hours=2), settings, agenda_item_id=items[1].id)
    return 2


def furnish_held(meeting: Meeting, actor: User, clerk_unit_id: int | None, now: datetime) -> int:
    """The roll call from who connected, published minutes and conclusions; answers the tasks."""
    marked = meeting.start_at + timedelta(minutes=5)
    invitations = sorted(meeting.invitations, key=lambda i: i.unit.code)
    for n, inv in enumerate(invitations):
        data = ({"state": "connected"} if inv.connected
                else {"state": "absent", "reason": ABSENT_REASONS[n % len(ABSENT_REASONS)]})
        mark_site(meeting, inv.unit, data, actor, marked)
    day = meeting.start_at.astimezone(LOCAL)
    written = meeting.end_at + timedelta(hours=3)
    save_minutes(meeting, (
        f"Biên bản cuộc họp ngày {day:%d/%m/%Y}.\n\n"
        f"Thành phần: {len(invitations)} đơn vị được mời, "
        f"{sum(1 for i in invitations if i.connected)} đơn vị kết nối trực tuyến.\n\n"
        "Nội dung: các đơn vị báo cáo kết quả thực hiện nhiệm vụ tuần qua; "
        "đồng chí chủ trì kết luận và giao nhiệm vụ (xem thông báo kết luận)."), actor, written)
    publish_minutes(meeting, actor, written)
    save_conclusions(meeting, {"number": f"{zlib.crc32(str(meeting.id).encode()) % 900 + 100}/TB-UBND",
                               "body": "Kết luận của đồng chí Chủ tịch UBND Thành phố tại cuộc họp giao ban."},
                     actor, written)
    leads = [i.unit for i in invitations if i.unit_id == clerk_unit_id]
    leads += [i.unit for i in invitations if i.unit_id != clerk_unit_id]
    tasks = []
    for (title, status, after), lead in zip(TASKS, leads):
        due = day.date() + timedelta(days=after) if after is not None else (
            now.astimezone(LOCAL).date() + timedelta(days=10))
        tasks.append((add_task(meeting, {"title": title, "lead_unit": lead.ref, "due_on": due}, actor, written),
                      status))
    publish_conclusions(meeting, actor, written)
    for task, status in tasks:
        if status != "assigned":
            update_task(task, {"status": status, "note": "Đã triển khai theo kết luận." if status == "done"
                               else "Đang tổng hợp từ các tổ dân phố."}, actor, written + timedelta(days=2))
    return len(tasks)


def furnish_briefings(now: datetime, settings) -> dict[str, int]:
    """Furnish the next City briefing and the last one held online (see the module); answers
    what was made. Does nothing without the City office's demo account or its meetings."""
    actor = db.session.scalar(select(User).where(User.email == ORGANIZER_EMAIL))
    counts = {"programmes": 0, "documents": 0, "roll_calls": 0, "tasks": 0}
    if actor is None or actor.unit is None:
        return counts
    city = actor.unit
    clerk_unit = db.session.scalar(select(User.unit_id).where(User.email == CLERK_EMAIL))
    furnished = select(AgendaItem.meeting_id).union(select(Document.meeting_id))
    already = db.session.scalar(select(func.count()).select_from(Meeting).where(
        Meeting.organizer_id == city.id, Meeting.id.in_(furnished)))
    if already:
        return counts
    last_delivery = db.session.scalar(select(func.max(Delivery.id))) or 0
    upcoming = db.session.scalars(_city_meetings(city).where(
        Meeting.status == "scheduled", Meeting.start_at > now + timedelta(days=3),
        Meeting.mode != "in_person").order_by(Meeting.start_at)).first()
    if upcoming is not None:
        counts["documents"] = furnish_upcoming(upcoming, actor, settings)
        counts["programmes"] = 1
    held_online = (Meeting.status == "held", Meeting.outcome_mode == "online",
                   Meeting.end_at < now - timedelta(days=3))
    invited = (select(func.count()).select_from(Invitation).where(Invitation.meeting_id == Meeting.id)
               .scalar_subquery())
    # a briefing of the City with its departments or a district's wards rather than all 556
    # units when there is one: the roll call is marked site by site, as the console does
    held = (db.session.scalars(_city_meetings(city).where(*held_online, invited <= HELD_INVITED_MAX)
                               .order_by(Meeting.start_at.desc())).first()
            or db.session.scalars(_city_meetings(city).where(*held_online).order_by(Meeting.start_at.desc())).first())
    if held is not None:
        counts["tasks"] = furnish_held(held, actor, clerk_unit, now)
        counts["roll_calls"] = 1
    # in the app only, as the rest of the demo: nothing of this is e-mailed
    db.session.execute(delete(Delivery).where(Delivery.id > last_delivery))
    db.session.commit()
    return counts
