"""The daily and hourly notices, and the jobs as the scheduler runs them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import ConnectivityCheck, Endpoint, Notification, db
from models.base import utcnow
from scheduler import jobs


def add_endpoint(unit, status="ready", passed_days_ago=None, failed_days_ago=None, name="Phòng họp"):
    e = Endpoint(unit=unit, name=name, kind="room_system", status=status)
    db.session.add(e)
    for days, passed in ((passed_days_ago, True), (failed_days_ago, False)):
        if days is not None:
            at = utcnow() - timedelta(days=days)
            db.session.add(ConnectivityCheck(endpoint=e, checked_at=at, passed=passed))
            if e.last_check_at is None or at > e.last_check_at:
                e.last_check_at, e.last_check_passed = at, passed
    db.session.commit()
    return e


def notices(kind):
    return db.session.scalars(select(Notification).where(Notification.kind == kind)
                              .order_by(Notification.id)).all()


def test_units_with_stale_endpoints_are_told_once_a_day(app, hanoi):
    add_endpoint(hanoi["phuc_xa"], passed_days_ago=45, name="Phòng họp tầng 2")
    add_endpoint(hanoi["phuc_xa"], passed_days_ago=40, failed_days_ago=1, name="Phòng tiếp dân")
    add_endpoint(hanoi["truc_bach"], passed_days_ago=3)                  # fresh
    add_endpoint(hanoi["vinh_phuc"], status="retired", passed_days_ago=90)  # not in use
    add_endpoint(hanoi["hang_ma"], failed_days_ago=50)                    # never passed
    assert jobs.stale_endpoints(app) == 1
    [notice] = notices("stale_endpoints")
    assert notice.unit_id == hanoi["phuc_xa"].id
    assert "Phòng họp tầng 2" in notice.body and "Phòng tiếp dân" in notice.body
    assert jobs.stale_endpoints(app) == 0  # the same day: deduplicated
    assert len(notices("stale_endpoints")) == 1


def test_organisers_hear_of_meetings_awaiting_an_outcome(app, hanoi, make_meeting):
    ended = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=3), participants=[hanoi["phuc_xa"]],
                         title="Sơ kết quý I")
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=3), status="held", outcome_mode="online")
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=1))  # still running
    make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=1))
    assert jobs.awaiting_outcome(app) == 1
    [notice] = notices("awaiting_outcome")
    assert (notice.unit_id, notice.meeting_id) == (hanoi["ba_dinh"].id, ended.id)
    assert "Sơ kết quý I" in notice.subject
    assert jobs.awaiting_outcome(app) == 0


def test_notices_show_on_the_units_notifications_page(app, hanoi, make_meeting, make_user, auth,
                                                     client):
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=3), title="Tổng kết năm")
    jobs.awaiting_outcome(app)
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    page = client.get("/notifications").get_data(as_text=True)
    assert "Chưa ghi kết quả cuộc họp: Tổng kết năm" in page
    r = client.post("/notifications/read", data={"csrf_token": auth.csrf("/notifications")})
    assert r.status_code == 303
    assert all(n.read_at is not None for n in notices("awaiting_outcome"))
    auth.logout()
    auth.login(make_user("organizer", hanoi["hoan_kiem"]))
    assert "Tổng kết năm" not in client.get("/notifications").get_data(as_text=True)


def test_the_tick_command_runs_the_reminder_job(app, runner):
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0 and result.output.strip() == "reminders: 0"


def test_the_process_registers_every_job_with_explicit_ids(app):
    from scheduler.process import Settings, build_scheduler

    scheduler = build_scheduler(app.extensions["sqlalchemy"].engine, Settings(tick_seconds=60))
    pending = {j.id: j for j in scheduler.get_jobs()}
    assert set(pending) == {"send_reminders", "top_up_reminders", "stale_endpoints", "awaiting_outcome",
                            "task_reminders",
                            "freeze_report"}
    assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    assert all(j.coalesce and j.misfire_grace_time for j in pending.values())
    assert str(pending["freeze_report"].trigger) == "cron[day='1', hour='7', minute='0']"
    assert str(pending["top_up_reminders"].trigger) == "cron[minute='15']"  # hourly


def test_a_notification_reads_in_each_readers_language(app, hanoi, make_meeting, make_user, auth, client):
    """Stored in Vietnamese through the catalog; an English reader sees it in English."""
    make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(hours=3), title="Giao ban tháng")
    add_endpoint(hanoi["ba_dinh"], passed_days_ago=45, name="Phòng họp A")
    jobs.awaiting_outcome(app)
    jobs.stale_endpoints(app)
    [stale] = notices("stale_endpoints")
    assert stale.subject == "Điểm cầu cần kiểm tra lại kết nối (1)"
    assert stale.params["names"].startswith("Phòng họp A (")
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    vi = client.get("/notifications").get_data(as_text=True)
    assert "Chưa ghi kết quả cuộc họp: Giao ban tháng" in vi and "đã kết thúc nhưng chưa ghi kết quả" in vi
    assert "Endpoints to check again" not in vi
    en = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Outcome not recorded: Giao ban tháng" in en
    assert "has ended but its outcome is not recorded" in en
    assert "Endpoints to check again (1)" in en and "Phòng họp A (" in en
    assert "Chưa ghi kết quả" not in en and "Điểm cầu cần kiểm tra" not in en
