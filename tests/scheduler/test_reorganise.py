"""Reorganising to the 2025 structure: a plan that writes nothing, then one audited transaction."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Endpoint, Invitation, Meeting, db
from models.audit import AuditLog
from models.errors import Forbidden, ValidationFailed
from models.meetings import EndpointBooking
from models.notices import Notice
from models.notifications import FeedToken, Reminder
from models.users import User
from scheduler.reorganise import apply_reorganisation, default_successor, plan_reorganisation
from tests.fixtures.database import empty_meetings
from tests.fixtures.reorganisation import NOW


def _snapshot() -> dict:
    """Every row that a reorganisation may touch, as plain tuples."""
    return {
        "endpoints": sorted(db.session.execute(select(Endpoint.id, Endpoint.unit_id)).all()),
        "users": sorted(db.session.execute(select(User.id, User.unit_id)).all()),
        "tokens": sorted(db.session.execute(select(FeedToken.id, FeedToken.unit_id)).all()),
        "invitations": sorted(db.session.execute(select(Invitation.meeting_id, Invitation.unit_id,
                                                        Invitation.connected)).all()),
        "meetings": sorted(db.session.execute(select(Meeting.id, Meeting.organizer_id, Meeting.revision)).all()),
        "bookings": sorted(db.session.execute(select(EndpointBooking.meeting_id, EndpointBooking.unit_id)).all()),
        "reminders": sorted(db.session.execute(select(Reminder.meeting_id, Reminder.unit_id)).all()),
        "notices": db.session.scalar(select(func.count()).select_from(Notice)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditLog)),
    }


def test_the_default_successor_bears_the_old_name_else_the_lowest_code(city):
    old, new = city["old"], city["new"]
    assert default_successor(old["ngoc_ha"], [new["giang_vo"], new["ngoc_ha"]]) is new["ngoc_ha"]
    assert default_successor(old["kim_ma"], [new["giang_vo"], new["ngoc_ha"]]) is new["ngoc_ha"]  # 00004 < 00008


def test_the_plan_lists_what_moves_what_stays_and_the_choices_and_writes_nothing(city, holdings):
    before = _snapshot()
    plan = plan_reorganisation("2025", NOW)
    assert _snapshot() == before
    by_unit = {m.unit.ref: m for m in plan.moves}
    ngoc_ha = by_unit["legacy:00016"]
    assert (ngoc_ha.to.ref, ngoc_ha.endpoints, ngoc_ha.users, ngoc_ha.feed_tokens) == ("2025:00004", 1, 1, 1)
    assert ngoc_ha.contacts == ["vanthu.ngocha@hanoi.gov.vn", "chung@hanoi.gov.vn"]
    assert (ngoc_ha.invitations, ngoc_ha.past_invitations) == (2, 1)
    assert by_unit["legacy:00031"].organised == 1 and by_unit["legacy:00031"].to.ref == "2025:00008"
    [split] = plan.splits
    assert split.unit.ref == "legacy:00028" and split.chosen is split.default
    assert [o.ref for o in split.options] == ["2025:00004", "2025:00008"]
    [unresolved] = plan.unresolved
    assert unresolved.unit.ref == "legacy:001" and unresolved.users == 1 and unresolved.to is None
    assert plan.as_dict()["totals"]["units"] == 3


def test_applying_moves_the_holdings_keeps_history_and_tells_the_successors(city, holdings, admin):
    old, new, h = city["old"], city["new"], holdings
    revisions = {k: h[k].revision for k in ("past", "upcoming")}
    plan = apply_reorganisation("2025", NOW, admin)
    db.session.expire_all()
    assert db.session.get(Endpoint, h["endpoint"].id).unit_id == new["ngoc_ha"].id
    assert db.session.get(User, h["clerk"].id).unit_id == new["ngoc_ha"].id
    assert db.session.get(User, h["district_clerk"].id).unit_id == city["district"].id  # no successor
    assert db.session.get(FeedToken, h["live"].id).unit_id == new["ngoc_ha"].id
    assert db.session.get(FeedToken, h["revoked"].id).unit_id == old["ngoc_ha"].id  # history
    assert new["ngoc_ha"].contact_emails.splitlines() == ["chung@hanoi.gov.vn", "vanthu.ngocha@hanoi.gov.vn"]
    assert old["ngoc_ha"].contact_emails is None

    def invited(meeting):
        return sorted(db.session.scalars(select(Invitation.unit_id).where(Invitation.meeting_id == meeting.id)))
    # past: untouched, outcome and all
    assert invited(h["past"]) == sorted([old["ngoc_ha"].id, old["kim_ma"].id])
    assert db.session.get(Meeting, h["past"].id).revision == revisions["past"]
    # upcoming: Ngọc Hà -> new Ngọc Hà, Kim Mã (split, default new Ngọc Hà) merges into the same row
    assert invited(h["upcoming"]) == [new["ngoc_ha"].id]
    assert db.session.get(Meeting, h["upcoming"].id).revision == revisions["upcoming"] + 1
    assert db.session.scalars(select(EndpointBooking.unit_id).where(
        EndpointBooking.meeting_id == h["upcoming"].id)).all() == [new["ngoc_ha"].id]
    assert db.session.scalars(select(Reminder.unit_id).where(
        Reminder.meeting_id == h["upcoming"].id)).all() == [new["ngoc_ha"].id]
    # the successor was invited already: the old row goes, with its unsent reminder
    assert invited(h["both"]) == [new["ngoc_ha"].id]
    assert db.session.scalars(select(Reminder).where(Reminder.meeting_id == h["both"].id)).all() == []
    assert db.session.get(Meeting, h["organised"].id).organizer_id == new["giang_vo"].id
    told = sorted(db.session.execute(select(Notice.unit_id, Notice.meeting_id, Notice.kind)).all())
    assert told == sorted([(new["ngoc_ha"].id, h["upcoming"].id, "unit_added"),
                           (new["giang_vo"].id, h["organised"].id, "unit_added")])
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "reorganise")).all()
    assert sorted(a.entity_id for a in audits) == sorted(m.unit.id for m in plan.moves)
    assert all(a.actor_id == admin.id for a in audits)


def test_a_second_run_changes_nothing(city, holdings, admin):
    apply_reorganisation("2025", NOW, admin)
    after_first = _snapshot()
    plan = plan_reorganisation("2025", NOW)
    assert plan.empty and plan.splits == []
    apply_reorganisation("2025", NOW, admin)
    assert _snapshot() == after_first


def test_the_office_picks_another_successor_for_a_split_commune(city, holdings, admin):
    old, new = city["old"], city["new"]
    plan = plan_reorganisation("2025", NOW, {old["kim_ma"].id: new["giang_vo"].id})
    assert plan.splits[0].chosen is new["giang_vo"]
    apply_reorganisation("2025", NOW, admin, {old["kim_ma"].id: new["giang_vo"].id})
    assert sorted(db.session.scalars(select(Invitation.unit_id).where(
        Invitation.meeting_id == holdings["upcoming"].id))) == sorted([new["ngoc_ha"].id, new["giang_vo"].id])


def test_a_bad_choice_or_a_non_admin_is_refused_and_nothing_is_written(city, holdings, make_user):
    old, new = city["old"], city["new"]
    admin, organizer = make_user("admin"), make_user("organizer", city["city"])
    before = _snapshot()
    with pytest.raises(ValidationFailed) as refused:
        apply_reorganisation("2025", NOW, admin, {old["ngoc_ha"].id: new["giang_vo"].id})
    assert list(refused.value.details) == ["legacy:00016"]  # not a split unit
    with pytest.raises(ValidationFailed) as refused:
        apply_reorganisation("2025", NOW, admin, {old["kim_ma"].id: city["city"].id})
    assert list(refused.value.details) == ["legacy:00028"]  # not one of its successors
    with pytest.raises(Forbidden):
        apply_reorganisation("2025", NOW, organizer)
    assert _snapshot() == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(invites=st.lists(st.sets(st.sampled_from(["o:ngoc_ha", "o:kim_ma", "o:giang_vo", "n:ngoc_ha", "n:giang_vo"]),
                                min_size=1), min_size=1, max_size=4),
       kim_ma_to=st.sampled_from(["ngoc_ha", "giang_vo"]),
       started=st.lists(st.booleans(), min_size=4, max_size=4))
def test_every_upcoming_meeting_invites_the_successors_of_what_it_invited(city, admin, make_meeting,
                                                                          invites, kim_ma_to, started):
    """An independent reading: map each invited unit through its successor, by hand."""
    empty_meetings("notices", "audit_log")
    units = {f"o:{k}": u for k, u in city["old"].items()} | {f"n:{k}": u for k, u in city["new"].items()}
    successor = {"o:ngoc_ha": "n:ngoc_ha", "o:giang_vo": "n:giang_vo", "o:kim_ma": f"n:{kim_ma_to}"}
    meetings = []
    for i, keys in enumerate(invites):
        start = NOW + timedelta(days=-3 if started[i] else 3, hours=i)
        meetings.append((make_meeting(city["city"], start, participants=[units[k] for k in sorted(keys)]),
                         keys, started[i]))
    apply_reorganisation("2025", NOW, admin, {city["old"]["kim_ma"].id: city["new"][kim_ma_to].id})
    for meeting, keys, has_started in meetings:
        expected = keys if has_started else {successor.get(k, k) for k in keys}
        got = set(db.session.scalars(select(Invitation.unit_id).where(Invitation.meeting_id == meeting.id)))
        assert got == {units[k].id for k in expected}


@pytest.mark.slow
def test_a_2019_demo_city_reorganised_to_2025_keeps_its_2019_reports_byte_for_byte(app, make_user):
    """The issue's first 'done when': the reviewed plan applied, and 2019 reads as it did."""
    import json

    from models.base import utcnow
    from models.registry_import import import_units
    from models.units import Unit
    from reports.csv_writer import report_csv
    from reports.online_ratio import online_ratio
    from reports.periods import parse_period
    from reports.wording import Wording
    from scheduler.demo import generate_demo

    import_units(1, "legacy")
    generate_demo(2019, seed=3, scale=0.02)
    now = utcnow()

    def reports() -> list[bytes]:
        out = []
        for label in ("2019", "2019-Q1", "2019-03", "2019-12"):
            report = online_ratio(parse_period(label), now)
            out += [json.dumps(report, ensure_ascii=False, sort_keys=True).encode(), report_csv(report, Wording())]
        return out

    before = reports()
    import_units(1, "2025")
    communes = db.session.scalars(select(Unit).where(Unit.dataset == "legacy", Unit.level == "commune")).all()
    assert len([u for u in communes if len(u.successors) > 1]) == 198  # the count of split communes
    holding = set(db.session.scalars(select(Endpoint.unit_id)))
    plan = plan_reorganisation("2025", now)
    assert plan.totals()["endpoints"] > 0 and plan.totals()["invitations"] == 0  # 2019 is all past
    assert {s.unit.id for s in plan.splits} == {u.id for u in communes if len(u.successors) > 1 and u.id in holding}
    apply_reorganisation("2025", now, make_user("admin"))
    owners = db.session.scalars(select(Unit).where(Unit.id.in_(select(Endpoint.unit_id)))).all()
    assert all(u.dissolved_on is None for u in owners if u.level == "commune")
    assert reports() == before
    assert plan_reorganisation("2025", now).empty


def test_open_follow_up_tasks_pass_to_the_successors_and_done_ones_stay(city, admin, make_meeting):
    """#16 with #18: a task not done is carried on by the successor, as lead or as supporter (one
    place per unit); a done task stays with the dissolved unit, as the report counted it."""
    from models.followup import Conclusions, Task, TaskSupporter, deadline_of

    old, new = city["old"], city["new"]
    held = make_meeting(city["city"], NOW - timedelta(days=20), participants=list(old.values()),
                        status="held", outcome_mode="online", title="Giao ban tháng 8")
    notice = Conclusions(meeting_id=held.id, status="published", body="Kết luận")
    db.session.add(notice)
    db.session.flush()
    due = (NOW + timedelta(days=10)).date()

    def task(title, lead, status="in_progress", supporters=()):
        t = Task(conclusions_id=notice.id, title=title, lead_unit_id=lead.id, due_on=due,
                 deadline_at=deadline_of(due), status=status,
                 done_at=NOW - timedelta(days=1) if status == "done" else None,
                 supporters=[TaskSupporter(unit_id=u.id) for u in supporters])
        db.session.add(t)
        return t

    t1 = task("Rà soát điểm cầu", old["ngoc_ha"])
    t2 = task("Báo cáo tháng 8", old["ngoc_ha"], status="done")
    t3 = task("Tập huấn", new["giang_vo"], supporters=[old["kim_ma"], old["giang_vo"]])
    t4 = task("Kiểm tra", old["giang_vo"], status="assigned", supporters=[new["giang_vo"]])
    db.session.commit()
    plan = plan_reorganisation("2025", NOW)
    assert {m.unit.ref: m.tasks for m in plan.moves} == {
        old["ngoc_ha"].ref: 1, old["kim_ma"].ref: 1, old["giang_vo"].ref: 2}
    assert plan.totals()["tasks"] == 4
    apply_reorganisation("2025", NOW, admin)
    db.session.expire_all()

    def places(t):
        t = db.session.get(Task, t.id)
        return t.lead_unit_id, sorted(s.unit_id for s in t.supporters)

    assert places(t1) == (new["ngoc_ha"].id, [])
    assert places(t2) == (old["ngoc_ha"].id, [])  # done: history
    assert places(t3) == (new["giang_vo"].id, [new["ngoc_ha"].id])  # Kim Mã's default: Ngọc Hà
    assert places(t4) == (new["giang_vo"].id, [])
    again = plan_reorganisation("2025", NOW)
    assert all(m.tasks == 0 for m in again.moves + again.unresolved)


def test_a_successor_taking_endpoints_tells_the_invitees_of_its_online_meetings_how_to_join(
        city, holdings, admin, make_meeting):
    """#13 with #18: Ngọc Hà's endpoint passes to the new Ngọc Hà, so the meetings the new ward
    organises (and those the old one organised, now its) are joined at new addresses; each
    invitee is told, once; a meeting whose addresses stay the same tells nobody."""
    old, new = city["old"], city["new"]
    db.session.add(Endpoint(unit=new["ngoc_ha"], name="Phòng họp UBND", kind="room_system", status="ready",
                            address="sip:2025-00004@hn.vn"))
    db.session.commit()
    hosted = make_meeting(new["ngoc_ha"], NOW + timedelta(days=4), participants=[new["giang_vo"]],
                          title="Họp phường mới")
    inherited = make_meeting(old["ngoc_ha"], NOW + timedelta(days=6), participants=[old["kim_ma"]],
                             title="Họp phường cũ")
    in_person = make_meeting(new["ngoc_ha"], NOW + timedelta(days=8), participants=[new["giang_vo"]],
                             mode="in_person", title="Họp tại chỗ")
    unchanged = holdings["organised"]  # old Giảng Võ -> new Giảng Võ: neither has an endpoint
    apply_reorganisation("2025", NOW, admin)
    db.session.expire_all()

    def dial_notices(meeting):
        return [(n.unit_id, n.changes) for n in db.session.scalars(select(Notice).where(
            Notice.meeting_id == meeting.id, Notice.kind == "changed")) if any(
            c.get("field") == "dial_in" for c in n.changes or [])]

    both = ["sip:16@hn.vn", "sip:2025-00004@hn.vn"]  # the endpoints in the order they were made
    assert dial_notices(hosted) == [(new["giang_vo"].id, [
        {"field": "dial_in", "before": ["sip:2025-00004@hn.vn"], "after": both}])]
    [(unit, changes)] = dial_notices(inherited)  # Kim Mã's invitation went to its default, Ngọc Hà
    assert changes == [{"field": "dial_in", "before": ["sip:16@hn.vn"], "after": both}]
    assert dial_notices(in_person) == [] and dial_notices(unchanged) == []
    notices = db.session.scalar(select(func.count()).select_from(Notice))
    apply_reorganisation("2025", NOW, admin)  # a second run moves nothing and tells nobody
    assert db.session.scalar(select(func.count()).select_from(Notice)) == notices
