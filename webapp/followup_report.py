"""The follow-up report's pages: figures per lead unit, the tasks behind a figure, CSV and XLSX."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import db
from models.base import utcnow
from models.errors import Forbidden, ValidationFailed
from models.followup import STANDINGS
from models.units import find_unit
from reports.access import report_scope
from reports.followup import followup_report, followup_tables, report_heading, tasks_query
from reports.periods import current_month, parse_period, shift

from .downloads import sheet_download

bp = Blueprint("followup_report", __name__)


def _scope():
    try:
        return report_scope(current_user)
    except Forbidden:
        abort(403)


def _period(required: bool = False):
    label = request.args.get("period") or (None if required else current_month(utcnow()).label)
    try:
        return parse_period(label)
    except ValidationFailed:
        abort(400, _("Give a month (2019-03), a quarter (2019-Q1) or a year (2019)."))


@bp.route("/reports/followup")
@login_required
def report():
    scope = _scope()
    period = _period()
    now = utcnow()
    return render_template("followup/report.html", period=period, report=followup_report(period, now, scope),
                           standings=STANDINGS, previous=shift(period, -1), following=shift(period, 1),
                           now=now)


@bp.route("/reports/followup/download")
@login_required
def download():
    scope = _scope()
    period = _period(required=True)
    fmt = request.args.get("format", "csv")
    report = followup_report(period, utcnow(), scope)
    return sheet_download(followup_tables(report), fmt, f"theo-doi-nhiem-vu-{period.label}", report_heading(report))


@bp.route("/reports/followup/tasks")
@login_required
def tasks():
    scope = _scope()
    period = _period(required=True)
    standing = request.args.get("standing") or None
    if standing is not None and standing not in STANDINGS:
        abort(400, _("Unknown kind of figure."))
    unit = None
    if request.args.get("unit"):
        unit = find_unit(request.args["unit"])
        if unit is None:
            abort(404)
    now = utcnow()
    stmt = tasks_query(period, now, scope, unit.id if unit else None, standing)
    page = db.paginate(stmt, per_page=100, max_per_page=100, error_out=False)
    return render_template("followup/report_tasks.html", period=period, page=page, unit=unit, standing=standing,
                           tasks=page.items, now=now, args=request.args)
