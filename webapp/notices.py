"""Pages of notices: my settings (e-mail on or off), a unit's contact addresses, parked deliveries.

The notices themselves are listed on the notifications page (webapp/attendance.py); the
unread count in the navigation bar comes from `unread_count` here.
"""
from __future__ import annotations

from email.utils import parseaddr

from flask import Blueprint, abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from wtforms import BooleanField, TextAreaField

from models import Delivery, Reminder, User, db
from models.database import write_transaction
from models.notifications import unread_total
from models.units import find_unit
from scheduler.notices import contact_list, set_unit_contacts

from .labels import Form

bp = Blueprint("notices", __name__)


def unread_count(user) -> int:
    """Unread notices and notifications of the user and the user's unit (asked once per request:
    a kept page's validators and the menu of its render both need it; the sign-in loader reads
    it with the user and leaves it here, `remember_unread`)."""
    if not user.is_authenticated:
        return 0
    memo = _memo() if has_request_context() else {}
    if user.id not in memo:
        memo[user.id] = _count_unread(user)
    return memo[user.id]


def remember_unread(user_id: int, count: int) -> None:
    """The count read with the user (`webapp.auth.load_user`), for this request."""
    _memo()[user_id] = count


def _memo() -> dict:
    return request.environ.setdefault("giaoban.unread", {})


def _count_unread(user) -> int:
    # one round trip: every page's menu asks it (and a kept page's validators)
    return db.session.scalar(select(unread_total()).where(User.id == user.id)) or 0


def _unread_or_zero() -> int:
    try:
        return unread_count(current_user)
    except SQLAlchemyError:  # an error page while the database is down still renders
        db.session.rollback()
        return 0


@bp.app_context_processor
def _unread():
    return {"unread_notices": _unread_or_zero}


class SettingsForm(Form):
    email_notices = BooleanField(_l("Send me notices and reminders by e-mail"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(data={"email_notices": current_user.email_notices})
    if form.validate_on_submit():
        with write_transaction():
            current_user.email_notices = bool(form.email_notices.data)
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("notices.settings"), 303)
    return render_template("notices/settings.html", form=form)


class ContactsForm(Form):
    contact_emails = TextAreaField(_l("Contact e-mail addresses (one a line)"))


@bp.route("/units/<ref>/contacts", methods=["GET", "POST"])
@login_required
def unit_contacts(ref: str):
    if current_user.role != "admin":
        abort(403)
    unit = find_unit(ref)
    if unit is None:
        abort(404)
    form = ContactsForm(data={"contact_emails": unit.contact_emails or ""})
    errors = []
    if form.validate_on_submit():
        addresses = contact_list(form.contact_emails.data)
        errors = [a for a in addresses if "@" not in parseaddr(a)[1] or parseaddr(a)[1] != a or len(a) > 254]
        if not errors:
            set_unit_contacts(unit, addresses, current_user)
            flash(_("The unit's contact addresses are saved."), "success")
            return redirect(url_for("registry.unit", ref=unit.ref), 303)
    return render_template("notices/contacts.html", unit=unit, form=form, errors=errors), 422 if errors else 200


@bp.get("/admin/deliveries")
@login_required
def failed():
    """Parked e-mails (notices and reminders) with their last error, for the admins."""
    if current_user.role != "admin":
        abort(403)
    deliveries = db.session.scalars(select(Delivery).where(Delivery.failed_at.is_not(None))
                                    .order_by(Delivery.failed_at.desc()).limit(500)).all()
    reminders = db.session.scalars(select(Reminder).where(Reminder.failed_at.is_not(None))
                                   .order_by(Reminder.failed_at.desc()).limit(500)).all()
    retrying = db.session.scalar(select(func.count(Delivery.id)).where(
        Delivery.sent_at.is_(None), Delivery.failed_at.is_(None), Delivery.attempts > 0))
    return render_template("notices/failed.html", deliveries=deliveries, reminders=reminders,
                           retrying=retrying)
