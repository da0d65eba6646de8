"""The verbs that moved to their homes: accounts, bridges and target rules in models/, CLI
commands importable one by one, and receivers connected once per process."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import Bridge, Reminder, User, db
from models.base import utcnow
from models.errors import Conflict, Forbidden, ValidationFailed
from models.targets import save_target_rule
from models.users import create_user
from scheduler.bridges import add_bridge
from scheduler.signals import connect_receivers, meetings_saved
from scheduler.working_calendar import WorkingCalendar
from webapp.cli import setup, users_create

RULE = {"plan_year": 2030, "code": "city_90", "name": "Họp của Thành phố", "levels": ["city"],
        "categories": ["giao_ban"], "target": 90}


def test_create_user_writes_the_account(app, hanoi):
    user, password = create_user(" Clerk@Example.VN ", "clerk", hanoi["phuc_xa"].ref)
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.email == "clerk@example.vn" and stored.unit_id == hanoi["phuc_xa"].id
    assert stored.check_password(password)


@pytest.mark.parametrize("email, role, unit, field", [
    ("a@example.vn", "boss", None, "role"),
    ("a@example.vn", "clerk", None, "unit"),
    ("a@example.vn", "clerk", "legacy:99999", "unit"),
    ("not-an-address", "admin", None, "email"),
    ("taken@example.vn", "admin", None, "email"),
])
def test_create_user_refuses(app, hanoi, email, role, unit, field):
    create_user("taken@example.vn", "admin", None)
    with pytest.raises(ValidationFailed) as caught:
        create_user(email, role, unit)
    assert list(caught.value.details) == [field]


def test_add_bridge_only_for_admins_and_once_per_name(app, make_user):
    admin = make_user("admin")
    bridge = add_bridge({"name": "MCU Quận", "capacity": 12}, admin)
    assert db.session.get(Bridge, bridge.id).capacity == 12
    with pytest.raises(Conflict):
        add_bridge({"name": "MCU Quận", "capacity": 5}, admin)
    with pytest.raises(Forbidden):
        add_bridge({"name": "MCU khác", "capacity": 5}, make_user("viewer"))


def test_save_target_rule_is_a_models_verb(app, make_user):
    rule = save_target_rule(RULE, make_user("admin"))
    assert rule.id is not None and str(rule.target) == "90.0"


def test_cli_commands_run_one_by_one(app, hanoi):
    runner = app.test_cli_runner()
    made = runner.invoke(users_create, ["viewer@example.vn", "--role", "viewer", "--unit",
                                        hanoi["city"].ref, "--password", "correct horse"])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(users_create, ["viewer@example.vn", "--role", "viewer", "--unit",
                                           hanoi["city"].ref])
    assert refused.exit_code == 2 and "already has an account" in refused.output
    assert runner.invoke(setup, []).exit_code == 0  # units and an account exist: nothing to do


def test_receivers_connect_once_per_process(app, hanoi, make_meeting):
    """Connecting again (a second app in the same process) replaces the planner: one row per kind."""
    connect_receivers({**app.config, "REMINDER_PENDING_BEFORE": timedelta(hours=48)})
    connect_receivers(app.config)
    start = (utcnow() + timedelta(days=5)).replace(microsecond=0)
    meeting = make_meeting(hanoi["city"], start, participants=[hanoi["phuc_xa"]])
    meetings_saved.send(None, meetings=[meeting], change="booked", actor=None, times_changed=True)
    db.session.commit()
    rows = db.session.scalars(db.select(Reminder).where(Reminder.meeting_id == meeting.id)).all()
    calendar = WorkingCalendar.from_db(app.config["WORKING_DAYS"])  # a day off moves to the working day before
    assert sorted((r.kind, r.due_at) for r in rows) == [
        ("pending", calendar.working_before(start - app.config["REMINDER_PENDING_BEFORE"])),
        ("upcoming", calendar.working_before(start - app.config["REMINDER_ALL_BEFORE"]))]
