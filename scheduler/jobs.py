"""The scheduler's jobs: thin functions that receive the app and open their own app context.

APScheduler stores jobs by reference with no arguments (an app cannot be pickled), so the
scheduler process binds its app here once with `bind(app)`; tests call the jobs with an app.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import ConnectivityCheck, Endpoint, Meeting, Notification, Unit, db
from models.base import LOCAL, utcnow
from models.database import write_transaction
from models.endpoints import READY_STATUSES

from .notices import Gettext, catalog_translator, notification_text, outcome_request, send_due_notices

log = logging.getLogger("giaoban.jobs")
AWAITING_LOOKBACK = timedelta(days=90)
_bound = {}


def bind(app) -> None:
    """Hand the scheduler process's app to the jobs."""
    _bound["app"] = app


def _app(app):
    if app is not None:
        return app
    if "app" not in _bound:
        raise RuntimeError("scheduler.jobs.bind(app) was not called in this process")
    return _bound["app"]


def notify_once(key: str, **fields) -> bool:
    """Add a notification unless one with this dedupe key exists; True when added."""
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Notification(dedupe_key=key, **fields))
    except IntegrityError:  # a second scheduler wrote it first
        return False
    return True


def _notify_once(key: str, kind: str, params: dict, gettext: Gettext, **fields) -> bool:
    """`notify_once` of a kind of `NOTIFICATION_TEXTS`: stored in the default language, with the
    parameters that render it in each reader's."""
    subject, body = notification_text(kind, params, gettext)
    return notify_once(key, kind=kind, params=params, subject=subject[:300], body=body, **fields)


def stale_endpoint_notices(now: datetime, max_age_days: int, gettext: Gettext | None = None) -> int:
    """A notice per unit per local day listing its endpoints whose latest pass is stale
    (`gettext`: the default language's translator, Vietnamese unless given)."""
    gettext = gettext or catalog_translator()(None)
    with write_transaction():
        last_pass = (select(ConnectivityCheck.endpoint_id, func.max(ConnectivityCheck.checked_at).label("at"))
                     .where(ConnectivityCheck.passed.is_(True))
                     .group_by(ConnectivityCheck.endpoint_id).subquery())
        rows = db.session.execute(
            select(Endpoint, last_pass.c.at).join(last_pass, last_pass.c.endpoint_id == Endpoint.id)
            .join(Unit, Unit.id == Endpoint.unit_id)
            .where(Endpoint.status.in_(READY_STATUSES), Unit.dissolved_on.is_(None),
                   last_pass.c.at < now - timedelta(days=max_age_days))
            .order_by(Endpoint.unit_id, Endpoint.id)).all()
        per_unit: dict[int, list[str]] = {}
        for endpoint, at in rows:
            per_unit.setdefault(endpoint.unit_id, []).append(
                f"{endpoint.name} ({at.astimezone(LOCAL):%d/%m/%Y})")
        day = now.astimezone(LOCAL).date().isoformat()
        added = 0
        for unit_id, names in per_unit.items():
            added += _notify_once(
                f"stale:{unit_id}:{day}", "stale_endpoints",
                {"count": len(names), "days": max_age_days, "names": ", ".join(names)}, gettext,
                unit_id=unit_id, created_at=now)
    return added


def awaiting_outcome_notices(now: datetime, gettext: Gettext | None = None) -> int:
    """A notice to the organiser unit of each meeting that ended with no outcome recorded."""
    gettext = gettext or catalog_translator()(None)
    with write_transaction():
        meetings = db.session.scalars(
            select(Meeting).where(Meeting.awaiting_outcome(now), Meeting.end_at > now - AWAITING_LOOKBACK)
            .order_by(Meeting.end_at)).all()
        added = 0
        for m in meetings:
            start = m.start_at.astimezone(LOCAL)
            told = _notify_once(
                f"awaiting:{m.id}", "awaiting_outcome",
                {"title": m.title, "when": f"{start:%H:%M %d/%m/%Y}"}, gettext,
                unit_id=m.organizer_id, meeting_id=m.id, created_at=now)
            if told:
                outcome_request(m, now)  # and its e-mail to the organiser's office
            added += told
    return added


def translator_for(app):
    """gettext of the app's catalog per locale ('en': English; unknown: Vietnamese), loaded once."""
    return catalog_translator(os.path.join(app.root_path, "translations"))


def send_notices(app=None) -> int:
    """Every few seconds: deliver the notices' e-mails (and any gateway channel)."""
    app = _app(app)
    with app.app_context():
        try:
            return send_due_notices(app.config, utcnow(), translator_for(app))
        finally:
            db.session.remove()


def send_reminders(app=None) -> int:
    """Every tick: send the due reminders, then the notices' deliveries; returns the reminders sent.

    One job for both keeps "remind now" and a booking's invitations on the same short tick;
    each runs on its own, so a failure of one never stops the other.
    """
    from .reminders import send_due_reminders

    app = _app(app)
    with app.app_context():
        try:
            return send_due_reminders(app, utcnow(), translator_for=translator_for(app))
        finally:
            db.session.remove()
            try:
                send_notices(app)
            except Exception:
                log.exception("notice delivery failed")


def top_up_reminders(app=None) -> int:
    """Hourly: plan the reminders of meetings that have come inside REMINDER_HORIZON."""
    from .reminders import ReminderOffsets
    from .reminders import top_up_reminders as top_up

    app = _app(app)
    with app.app_context():
        try:
            return top_up(ReminderOffsets.from_config(app.config), utcnow())
        finally:
            db.session.remove()


def stale_endpoints(app=None) -> int:
    """Daily: tell units whose endpoints' latest passing check has gone stale."""
    app = _app(app)
    with app.app_context():
        try:
            return stale_endpoint_notices(utcnow(), app.config["READINESS_MAX_AGE_DAYS"])
        finally:
            db.session.remove()


def awaiting_outcome(app=None) -> int:
    """Hourly: tell organisers about meetings awaiting their outcome."""
    app = _app(app)
    with app.app_context():
        try:
            return awaiting_outcome_notices(utcnow())
        finally:
            db.session.remove()


def task_reminders(app=None) -> int:
    """Hourly: remind lead units of follow-up tasks due soon, and once when overdue."""
    from .followup import remind_tasks

    app = _app(app)
    with app.app_context():
        try:
            return remind_tasks(utcnow(), app.config["TASK_REMIND_DAYS_BEFORE"])
        finally:
            db.session.remove()


def freeze_report(app=None):
    """Monthly, on the 1st at 07:00 local: freeze last month's report."""
    from reports.snapshots import freeze_last_month

    app = _app(app)
    with app.app_context():
        try:
            return freeze_last_month(utcnow())
        finally:
            db.session.remove()
