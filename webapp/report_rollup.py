"""The "as of today" roll-up page: a period's figures re-grouped onto today's units (labelled as such),
and the same as a CSV or XLSX download (`?format=`)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.base import utcnow
from models.errors import ValidationFailed
from reports.access import report_scope
from reports.periods import month_before, parse_period
from reports.rollup import rollup_as_of_today
from reports.sheets import Sheet

from .downloads import sheet_download
from .labels import period_label

bp = Blueprint("report_rollup", __name__)


def rollup_sheets(rollup: dict) -> list[Sheet]:
    """The roll-up as one sheet: a row per unit in force today, then the total."""
    headers = [_("Unit today"), _("Code"), _("Counted from"), _("Held"), _("Held online"), _("Ratio")]
    rows = [[r["unit_name"] + (f" ({_('dissolved, no successor')})" if r["no_successor"] else ""),
             r["unit"], ", ".join(f["name"] for f in r["from"]), r["held"], r["held_online"], r["ratio"]]
            for r in rollup["rows"]]
    total = rollup["total"]
    rows.append([_("Total"), "", "", total["held"], total["held_online"], total["ratio"]])
    return [(_("As of today"), headers, rows)]


def rollup_heading(rollup: dict) -> str:
    day = format_date(date.fromisoformat(str(rollup["as_of"])), "dd/MM/yyyy")
    return _("Online-meeting ratio as of today (%(day)s), period %(period)s: regrouped onto the units "
             "in force today, not the historic report", day=day, period=period_label(rollup["period"]))


def rollup_download(rollup: dict, fmt: str):
    """:raise 400: unless `fmt` is csv or xlsx."""
    return sheet_download(rollup_sheets(rollup), fmt, f"ty-le-hop-truc-tuyen-den-nay-{rollup['period']}",
                          rollup_heading(rollup))


@bp.get("/reports/online-ratio/as-of-today")
@login_required
def as_of_today():
    try:
        scope = report_scope(current_user, request.args.get("province", "").strip()[:8] or None)
    except ValidationFailed:
        abort(400, _("No province with this code is loaded."))
    now = utcnow()
    try:
        period = parse_period(request.args.get("period") or month_before(now).label)
    except ValidationFailed:
        abort(404)
    rollup = rollup_as_of_today(period, now, scope)
    fmt = request.args.get("format")
    if fmt:
        return rollup_download(rollup, fmt)
    return render_template("reports/as_of_today.html", period=period, rollup=rollup)
