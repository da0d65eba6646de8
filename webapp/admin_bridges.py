"""Admin pages for bridges (MCUs): list, add, edit, retire, and the load per hour."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models import Bridge, db
from models.base import LOCAL, utcnow
from models.errors import DomainError
from models.meetings import BRIDGE_NAME_MAX, BRIDGE_NOTES_MAX, CAPACITY_MAX, DIAL_PREFIX_MAX
from models.permissions import can_manage_bridges
from scheduler.bridges import add_bridge, bridge_load, change_bridge, retire_bridge

from .labels import Form, flash_form_errors

bp = Blueprint("admin_bridges", __name__, url_prefix="/admin/bridges")


class BridgeForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=BRIDGE_NAME_MAX)])
    capacity = IntegerField(_l("Capacity (ports)"), validators=[DataRequired(), NumberRange(1, CAPACITY_MAX)])
    dial_prefix = StringField(_l("Dial-in prefix"), validators=[Optional(), Length(max=DIAL_PREFIX_MAX)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=BRIDGE_NOTES_MAX)])

    def values(self) -> dict:
        """What `add_bridge` and `change_bridge` take."""
        return {"name": self.name.data, "capacity": self.capacity.data,
                "dial_prefix": self.dial_prefix.data, "notes": self.notes.data}


def _may_read() -> None:
    """Admins and organisers (who book on bridges) see the list and the load."""
    if current_user.role not in ("admin", "organizer"):
        abort(403)


def _may_manage() -> None:
    if not can_manage_bridges(current_user):
        abort(403)


def _bridge_or_404(bridge_id: int) -> Bridge:
    bridge = db.session.get(Bridge, bridge_id)
    if bridge is None:
        abort(404)
    return bridge


@bp.route("")
@login_required
def index():
    _may_read()
    bridges = db.session.scalars(select(Bridge).order_by(Bridge.retired_at.is_not(None), Bridge.name)).all()
    return render_template("admin/bridges.html", bridges=bridges, may_manage=can_manage_bridges(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _may_manage()
    form = BridgeForm()
    if form.validate_on_submit():
        try:
            bridge = add_bridge(form.values(), current_user)
        except DomainError as exc:
            flash_form_errors(form, exc)
        else:
            flash(_("Bridge added."), "success")
            return redirect(url_for("admin_bridges.detail", bridge_id=bridge.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/bridge_form.html", form=form, bridge=None), status


@bp.route("/<int:bridge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(bridge_id: int):
    _may_manage()
    bridge = _bridge_or_404(bridge_id)
    form = BridgeForm(obj=bridge)
    if form.validate_on_submit():
        try:
            change_bridge(bridge, form.values(), current_user)
        except DomainError as exc:
            flash_form_errors(form, exc)
        else:
            flash(_("Bridge saved."), "success")
            return redirect(url_for("admin_bridges.detail", bridge_id=bridge.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/bridge_form.html", form=form, bridge=bridge), status


@bp.route("/<int:bridge_id>/retire", methods=["POST"])
@login_required
def retire(bridge_id: int):
    _may_manage()
    bridge = _bridge_or_404(bridge_id)
    retired = request.form.get("retired", "1") != "0"
    retire_bridge(bridge, current_user, retired)
    flash(_("Bridge retired: it takes no new bookings.") if retired else _("Bridge back in service."), "success")
    return redirect(url_for("admin_bridges.detail", bridge_id=bridge.id))


@bp.route("/<int:bridge_id>")
@login_required
def detail(bridge_id: int):
    _may_read()
    bridge = _bridge_or_404(bridge_id)
    try:
        first = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        first = utcnow().astimezone(LOCAL).date()
    if not date(1970, 1, 1) <= first <= date(9000, 1, 1):
        first = utcnow().astimezone(LOCAL).date()
    view = "week" if request.args.get("view") == "week" else "day"
    days = 7 if view == "week" else 1
    if view == "week":
        first -= timedelta(days=first.weekday())
    load = bridge_load(bridge, first, days)
    peak = max((h.peak for row in load for h in row), default=0)
    step = timedelta(days=days)
    return render_template("admin/bridge.html", bridge=bridge, load=load, view=view, first=first,
                           previous=first - step, following=first + step, peak=peak,
                           may_manage=can_manage_bridges(current_user), datetime=datetime)
