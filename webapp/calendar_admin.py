"""The working calendar's admin page, API routes and CLI (`flask calendar ...`)."""
from __future__ import annotations

from datetime import date

import click
from apiflask import Schema, fields, validators
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.errors import DomainError
from models.working_calendar import KINDS
from scheduler.working_calendar import WorkingCalendar, delete_exception, list_exceptions, set_exception

from .api.common import actor, auth, fail
from .api.common import bp as api_bp
from .labels import error_details, error_message

bp = Blueprint("working_calendar", __name__, url_prefix="/admin/calendar")


def flash_calendar(booking) -> None:
    """Tell the organiser which occurrences fall on a day off, and which were skipped."""
    days = booking.warnings.get("holiday") or []
    if days:
        flash(_("On a day off: %(days)s.", days="; ".join(
            f"{date.fromisoformat(d['date']):%d/%m/%Y} ({d['name']})" for d in days)), "warning")
    if booking.skipped:
        flash(_("Skipped on non-working days: %(days)s.", days="; ".join(
            f"{date.fromisoformat(d['date']):%d/%m/%Y} ({d['name']})" for d in booking.skipped)), "info")


def _year() -> int:
    try:
        return int(request.args.get("year") or date.today().year)
    except ValueError:
        abort(404)


@bp.get("/")
@login_required
def index():
    if current_user.role != "admin":
        abort(403)
    year = _year()
    calendar = WorkingCalendar()
    national = sorted((d, n) for d, n in calendar._national(year).items())
    worked_saturdays = sorted(d for d in calendar._national(year).weekend_workdays if d.year == year)
    return render_template("calendar_admin/index.html", year=year, national=national,
                           worked_saturdays=worked_saturdays, exceptions=list_exceptions(year), kinds=KINDS)


@bp.post("/")
@login_required
def save():
    if current_user.role != "admin":
        abort(403)
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(_("Give a date."), "danger")
        return redirect(url_for(".index"), 303)
    try:
        if request.form.get("delete"):
            delete_exception(day, current_user)
        else:
            set_exception(day, request.form.get("kind", ""), request.form.get("label", ""), current_user)
        flash(_("Working calendar saved."), "success")
    except DomainError as exc:
        flash(error_message(exc) + " " + " ".join(m for v in error_details(exc).values() for m in v), "danger")
    return redirect(url_for(".index", year=day.year), 303)


# --- API ---------------------------------------------------------------------------------

class ExceptionIn(Schema):
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validators.OneOf(list(KINDS)))
    label = fields.String(required=True, validate=validators.Length(min=1, max=200))


class DayOut(Schema):
    date = fields.Date(required=True)
    working = fields.Boolean(required=True)
    name = fields.String(allow_none=True)
    source = fields.String(required=True, metadata={"description": "office, national or weekend"})


class CalendarQuery(Schema):
    year = fields.Integer(required=True, validate=validators.Range(1990, 2100))


def _days(year: int) -> list[dict]:
    calendar = WorkingCalendar.from_db()
    national = calendar._national(year)
    out = []
    for d, name in calendar.days_off(date(year, 1, 1), date(year, 12, 31)):
        source = "office" if d in calendar.exceptions else "national" if d in national else "weekend"
        if source != "weekend":
            out.append({"date": d, "working": False, "name": name, "source": source})
    for d, (kind, label) in calendar.exceptions.items():
        if kind == "working_day" and d.year == year:
            out.append({"date": d, "working": True, "name": label, "source": "office"})
    out += [{"date": d, "working": True, "name": None, "source": "national"}
            for d in national.weekend_workdays if d.year == year and d not in calendar.exceptions]
    return sorted(out, key=lambda r: r["date"])


@api_bp.get("/calendar")
@api_bp.auth_required(auth)
@api_bp.input(CalendarQuery, location="query")
@api_bp.output(DayOut(many=True))
@api_bp.doc(summary="A year's days off and swapped working days (national and the office's)")
def api_calendar(query_data):
    return _days(query_data["year"])


@api_bp.put("/calendar/exceptions")
@api_bp.auth_required(auth)
@api_bp.input(ExceptionIn, location="json")
@api_bp.output(DayOut)
@api_bp.doc(summary="Set the office's exception for a day: a day off or a (Saturday) working day",
            responses=[403, 422])
def api_set_exception(json_data):
    try:
        row = set_exception(json_data["day"], json_data["kind"], json_data["label"], actor())
    except DomainError as exc:
        fail(exc)
    return {"date": row.day, "working": row.kind == "working_day", "name": row.label, "source": "office"}


@api_bp.delete("/calendar/exceptions/<string:day>")
@api_bp.auth_required(auth)
@api_bp.output({}, status_code=204)
@api_bp.doc(summary="Remove the office's exception for a day (YYYY-MM-DD)", responses=[403, 404])
def api_delete_exception(day):
    try:
        delete_exception(date.fromisoformat(day), actor())
    except ValueError:
        abort(404)
    except DomainError as exc:
        fail(exc)
    return ""


# --- CLI ---------------------------------------------------------------------------------

def register_cli(app) -> None:
    @app.cli.group("calendar")
    def calendar_group():
        """Vietnam's working calendar and the office's exceptions."""

    @calendar_group.command("list")
    @click.option("--year", type=int, default=date.today().year)
    def calendar_list(year: int):
        """Days off and swapped working days of a year."""
        for row in _days(year):
            state = "working" if row["working"] else "day off"
            click.echo(f"{row['date']:%Y-%m-%d}  {state:8}  {row['source']:8}  {row['name'] or ''}")

    @calendar_group.command("set")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.option("--kind", required=True, type=click.Choice(KINDS))
    @click.option("--label", required=True)
    def calendar_set(day, kind: str, label: str):
        """Mark DAY (YYYY-MM-DD) a day off or a working day."""
        try:
            set_exception(day.date(), kind, label, None)
        except DomainError as exc:
            raise click.ClickException(exc.translated(lambda m: m)) from exc
        click.echo(f"{day:%Y-%m-%d}: {kind} ({label})")

    @calendar_group.command("delete")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    def calendar_delete(day):
        """Remove the office's exception for DAY."""
        try:
            delete_exception(day.date(), None)
        except DomainError as exc:
            raise click.ClickException(exc.translated(lambda m: m)) from exc
        click.echo(f"{day:%Y-%m-%d}: removed")
