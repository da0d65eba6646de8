"""Pages of the registry: the unit tree and search, a unit's endpoints, readiness."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models import Endpoint, Unit, db
from models.base import LOCAL, utcnow
from models.endpoints import latest_checks
from models.errors import ValidationFailed
from models.feeds import feed_token_for_unit
from models.permissions import can_log_check, can_manage_endpoints, can_see_unit_meetings
from models.readiness import readiness, readiness_clock, ready_unit_ids
from models.registry import add_endpoint, change_endpoint, log_check, units_query
from models.units import find_province, find_unit, province_of
from reports.figures_cache import cached_body, figures_key

from .labels import ENDPOINT_KIND_LABELS, ENDPOINT_STATUS_LABELS, LEVEL_LABELS, Form, flash_form_errors
from .page_cache import kept_page
from .report_http import cached_page, locale_tag, minute_start

bp = Blueprint("registry", __name__)
#: up to this many communes, the tree shows them all inline; beyond, per district on demand
INLINE_COMMUNES = 120



class EndpointForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in ENDPOINT_KIND_LABELS.items()])
    address = StringField(_l("Dial address"), validators=[Optional(), Length(max=255)])
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in ENDPOINT_STATUS_LABELS.items()])


class CheckForm(Form):
    passed = BooleanField(_l("Passed"))
    audio_ok = BooleanField(_l("Audio works"))
    video_ok = BooleanField(_l("Video works"))
    bandwidth_kbps = IntegerField(_l("Bandwidth (kbit/s)"),
                                  validators=[Optional(), NumberRange(0, 10_000_000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    checked_at = DateTimeLocalField(_l("Checked at (local time)"), validators=[Optional()],
                                    format="%Y-%m-%dT%H:%M")


def unit_or_404(ref: str) -> Unit:
    """:raise 404: when no unit has that reference."""
    unit = find_unit(ref)
    if unit is None:
        abort(404)
    return unit


def readiness_max_age() -> int:
    """READINESS_MAX_AGE_DAYS: a passing check older than this leaves an endpoint not ready."""
    return current_app.config["READINESS_MAX_AGE_DAYS"]


@bp.route("/")
@login_required
def home():
    if current_user.role == "clerk" and current_user.unit_id is not None:
        return redirect(url_for("attendance.home"))  # a clerk lands on their unit's page
    return redirect(url_for("registry.units"))


@bp.route("/units")
@login_required
def units():
    q = request.args.get("q", "").strip()[:100]
    level = request.args.get("level") if request.args.get("level") in LEVEL_LABELS else None
    now = utcnow()
    if q or level:
        # with several provinces loaded, the search covers one: the one asked for, else the user's
        province = find_province(request.args.get("province")) or (
            province_of(current_user.unit) if current_user.unit is not None else None)
        found = db.session.scalars(units_query(q, level, province=province).limit(300)).all()
        ready = ready_unit_ids((u.id for u in found), now, readiness_max_age())
        return render_template("registry/search.html", q=q, level=level, units=found, ready=ready,
                               levels=LEVEL_LABELS)
    # The tree depends on the units, endpoints and checks (the data version), and on the clock
    # through readiness: its validators move with the data version and the minute, its stored
    # bytes with the data version and readiness's clock.
    return readiness_page("units-tree", now, lambda: _tree(now))


def readiness_page(name: str, now: datetime, render, *parts):
    """A page showing readiness, stored per data version, readiness clock and reader."""
    max_age = readiness_max_age()
    key = figures_key(name, minute_start(now), max_age, *parts)
    body_key = figures_key(name + "-body", readiness_clock(now, max_age), max_age, *parts)
    return cached_page(key, body_key, render, now)


def _tree(now: datetime) -> str:
    """The registry tree: every unit above the communes, a district's communes on demand."""
    # The tree without the communes of districts when there are many: a district's communes
    # load on demand (/units/<ref>/communes, fetched by app.js when its <details> opens).
    upper = db.session.scalars(units_query().where(Unit.level != "commune")).all()
    counts = dict(db.session.execute(
        select(Unit.parent_id, func.count(Unit.id))
        .where(Unit.level == "commune", Unit.dissolved_on.is_(None)).group_by(Unit.parent_id)).all())
    inline = sum(counts.values()) <= INLINE_COMMUNES
    everything = list(upper)
    if inline:
        everything += db.session.scalars(units_query(level="commune")).all()
    else:  # communes directly under the city (no district) are few: shown inline
        everything += db.session.scalars(units_query(level="commune").where(
            Unit.parent_id.in_([u.id for u in upper if u.level == "city"]))).all()
    ready = ready_unit_ids((u.id for u in everything), now, readiness_max_age())
    children: dict[int | None, list[Unit]] = {}
    for u in everything:
        children.setdefault(u.parent_id, []).append(u)
    cities = [u for u in upper if u.level == "city"]
    province = request.args.get("province", "").strip()[:8]
    if province:  # several provinces loaded: one province's tree (its city's code, e.g. 48)
        cities = [c for c in cities if c.code.lstrip("0") == province.lstrip("0")]
    return render_template("registry/tree.html", cities=cities, children=children, ready=ready,
                           q="", levels=LEVEL_LABELS, counts=counts, inline=inline)




@bp.route("/units/<ref>/communes")
@login_required
def communes_fragment(ref: str):
    """A district's communes with readiness, as an HTML fragment for the collapsed tree."""
    district = unit_or_404(ref)
    now, max_age = utcnow(), readiness_max_age()

    def render() -> bytes:
        wards = db.session.scalars(units_query(level="commune", parent=district)).all()
        ready = ready_unit_ids((w.id for w in wards), now, max_age)
        return render_template("registry/_communes.html", wards=wards, ready=ready).encode()
    # the same for every reader (no menu, no form): stored per data version and readiness clock
    key = figures_key("communes", district.id, readiness_clock(now, max_age), max_age, locale_tag())
    return cached_body(key, render)


@bp.route("/units/<ref>")
@login_required
def unit(ref: str):
    u, now = unit_or_404(ref), utcnow()
    # Kept per data version and minute (readiness); the feed address is not in the data version.
    feed_url = _feed_url(u)
    return kept_page("unit", (u.id, feed_url),
                       lambda: _render_unit(u, CheckForm(), now=now, feed_url=feed_url), now)


def _feed_url(u: Unit) -> str | None:
    if not can_see_unit_meetings(current_user, u):
        return None
    return url_for("calendars.feed", token=feed_token_for_unit(u).token, _external=True)


def _render_unit(u: Unit, check_form: CheckForm, failed_endpoint: int | None = None, now=None,
                 feed_url: str | None = ""):
    now = now or utcnow()
    endpoints = db.session.scalars(select(Endpoint).where(Endpoint.unit_id == u.id)
                                   .order_by(Endpoint.id)).all()
    if feed_url == "":
        feed_url = _feed_url(u)
    return render_template(
        "registry/unit.html", unit=u, endpoints=endpoints, checks=latest_checks(e.id for e in endpoints),
        now=now, max_age=readiness_max_age(),
        ready=any(e.is_ready(now, readiness_max_age()) for e in endpoints),
        can_manage=can_manage_endpoints(current_user, u), can_check=can_log_check(current_user, u),
        check_form=check_form, failed_endpoint=failed_endpoint, kinds=ENDPOINT_KIND_LABELS,
        statuses=ENDPOINT_STATUS_LABELS, levels=LEVEL_LABELS, feed_url=feed_url)


@bp.route("/units/<ref>/endpoints/new", methods=["GET", "POST"])
@login_required
def new_endpoint(ref: str):
    u = unit_or_404(ref)
    if not can_manage_endpoints(current_user, u):
        abort(403)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            add_endpoint(u, {k: form.data[k] for k in ("name", "room", "kind", "address", "status")},
                         current_user)
            flash(_("Endpoint added."), "success")
            return redirect(url_for("registry.unit", ref=u.ref))
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("registry/endpoint_form.html", form=form, unit=u, endpoint=None), status


@bp.route("/endpoints/<int:endpoint_id>/edit", methods=["GET", "POST"])
@login_required
def edit_endpoint(endpoint_id: int):
    endpoint = db.get_or_404(Endpoint, endpoint_id)
    if not can_manage_endpoints(current_user, endpoint.unit):
        abort(403)
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        try:
            change_endpoint(endpoint, {k: form.data[k] for k in
                                       ("name", "room", "kind", "address", "status")}, current_user)
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("registry.unit", ref=endpoint.unit.ref))
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("registry/endpoint_form.html", form=form, unit=endpoint.unit,
                           endpoint=endpoint), status


@bp.route("/endpoints/<int:endpoint_id>/checks", methods=["POST"])
@login_required
def new_check(endpoint_id: int):
    endpoint = db.get_or_404(Endpoint, endpoint_id)
    if not can_log_check(current_user, endpoint.unit):
        abort(403)
    form = CheckForm()
    if form.validate_on_submit():
        checked_at = form.checked_at.data.replace(tzinfo=LOCAL) if form.checked_at.data else None
        try:
            log_check(endpoint, {"passed": form.passed.data, "audio_ok": form.audio_ok.data,
                                 "video_ok": form.video_ok.data,
                                 "bandwidth_kbps": form.bandwidth_kbps.data,
                                 "note": form.note.data, "checked_at": checked_at}, current_user)
            flash(_("Check recorded."), "success")
            return redirect(url_for("registry.unit", ref=endpoint.unit.ref), 303)
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
    return _render_unit(endpoint.unit, form, failed_endpoint=endpoint.id), 400


@bp.route("/readiness")
@login_required
def readiness_dashboard():
    now = utcnow()

    def render() -> str:
        overall, districts = readiness(now, readiness_max_age())
        return render_template("registry/readiness.html", overall=overall, districts=districts,
                               max_age=readiness_max_age())
    return readiness_page("readiness", now, render)


@bp.app_template_filter("local")
def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC instant shown in Asia/Ho_Chi_Minh, dd/mm/yyyy and 24-hour time."""
    if value is None:
        return ""
    return value.astimezone(LOCAL).strftime(fmt)
