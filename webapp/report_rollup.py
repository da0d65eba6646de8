"""The "as of today" roll-up page: a period's figures re-grouped onto today's units (labelled as such)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from models.base import utcnow
from models.errors import ValidationFailed
from reports.access import report_scope
from reports.periods import month_before, parse_period
from reports.rollup import rollup_as_of_today

bp = Blueprint("report_rollup", __name__)


@bp.get("/reports/online-ratio/as-of-today")
@login_required
def as_of_today():
    scope = report_scope(current_user)
    now = utcnow()
    try:
        period = parse_period(request.args.get("period") or month_before(now).label)
    except ValidationFailed:
        abort(404)
    return render_template("reports/as_of_today.html", period=period,
                           rollup=rollup_as_of_today(period, now, scope))
