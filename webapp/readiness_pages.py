"""Readiness that leads somewhere: a district's communes with each one's state and reason, and
the city's communes that are not ready, on a page and as CSV or XLSX."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from models.base import LOCAL, utcnow
from models.readiness import CommuneState, commune_states, readiness

from .downloads import sheet_download
from .registry import readiness_max_age, readiness_page, unit_or_404

bp = Blueprint("readiness", __name__)

STATE_LABELS = {"ready": _l("Ready"), "no_endpoint": _l("No endpoint"), "faulty": _l("Faulty"),
                "stale": _l("Check stale"), "unchecked": _l("Never checked")}


def reason(row: CommuneState) -> str:
    """The state in words, with the date a stale check went stale."""
    if row.state == "stale":
        return _("Check stale since %(date)s", date=local_day(row.since))
    return str(STATE_LABELS[row.state])


def local_day(value) -> str:
    return value.astimezone(LOCAL).strftime("%d/%m/%Y") if value else ""


def _sheet(rows: list[CommuneState]) -> list:
    headers = [_("District"), _("Commune"), _("Code"), _("State"), _("Latest check")]
    return [(_("Communes not ready"), headers,
             [[r.unit.parent.name if r.unit.parent else "", r.unit.name, r.unit.code, reason(r),
               local_day(r.last_check_at)] for r in rows])]


@bp.route("/readiness/districts/<ref>")
@login_required
def district(ref: str):
    unit = unit_or_404(ref)
    if unit.level != "district":
        abort(404)
    now, max_age = utcnow(), readiness_max_age()

    def render() -> str:
        overall, _rows = readiness(now, max_age, unit)
        return render_template("registry/readiness_district.html", district=unit, overall=overall,
                               rows=commune_states(now, max_age, unit), reason=reason, max_age=max_age,
                               local_day=local_day)
    return readiness_page("readiness-district", now, render, unit.id)


@bp.route("/readiness/not-ready")
@login_required
def not_ready():
    now, max_age = utcnow(), readiness_max_age()
    fmt = request.args.get("format")
    if fmt:
        rows = commune_states(now, max_age, not_ready_only=True)
        return sheet_download(_sheet(rows), fmt, f"xa-phuong-chua-san-sang-{now:%Y%m%d}",
                              _("Communes not ready on %(date)s", date=local_day(now)))

    def render() -> str:
        return render_template("registry/readiness_not_ready.html",
                               rows=commune_states(now, max_age, not_ready_only=True), reason=reason,
                               max_age=max_age, local_day=local_day)
    return readiness_page("not-ready", now, render)
