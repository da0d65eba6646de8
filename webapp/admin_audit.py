"""The audit trail page: who changed what and when, before and after in words.

Admins read every row; everyone else reads the actions of the users of the units in their
scope (`models.permissions.visible_unit_ids`: a clerk's own unit, an organiser's or viewer's
subtree). Filters: actor (e-mail or name), unit (the actor's unit and the units below it),
action, kind of object, a date range as dd/mm/yyyy (local days); 50 rows a page; the same
filters export as CSV.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from models import db
from models.audit import PER_PAGE, changed_fields, trail_query
from models.base import LOCAL
from models.permissions import visible_unit_ids
from models.units import find_unit, subtree_ids

from .clerk_home import page_number
from .meeting_reads import FIELD_LABELS

bp = Blueprint("admin_audit", __name__)

ACTION_LABELS = {
    "create": _l("created"), "update": _l("changed"), "cancel": _l("cancelled"),
    "restore": _l("cancellation undone"), "outcome": _l("outcome recorded"), "respond": _l("answered"),
    "check": _l("connectivity check logged"), "retire": _l("retired"), "reactivate": _l("reactivated"),
    "deactivate": _l("deactivated"), "password": _l("password set"), "revoke": _l("revoked"),
    "renew_feed": _l("calendar address renewed"), "set": _l("set"), "delete": _l("deleted"),
    "freeze": _l("report frozen"), "reorganise": _l("reorganised"), "contacts": _l("contact addresses changed"),
    "sign_in_failed": _l("sign-in failed"),
}
ENTITY_LABELS = {
    "meeting": _l("Meeting"), "user": _l("Account"), "api_token": _l("API token"), "unit": _l("Unit"),
    "endpoint": _l("Endpoint"), "bridge": _l("Bridge"), "invitation": _l("Invitation"),
    "target_rule": _l("Target"), "calendar_exception": _l("Working calendar day"),
    "report_snapshot": _l("Report snapshot"),
}
EXPORT_MAX = 10000


def parse_day(value: str | None) -> tuple[datetime | None, bool]:
    """A dd/mm/yyyy day as the local midnight it starts at; (None, False) when empty,
    (None, True) when it is not such a day."""
    value = (value or "").strip()
    if not value:
        return None, False
    try:
        day = datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None, True
    if day.year < 2000:
        return None, True
    return datetime.combine(day, time(0), LOCAL), False


def _filters():
    args = request.args
    errors: dict[str, str] = {}
    since, bad_since = parse_day(args.get("from"))
    until, bad_until = parse_day(args.get("to"))
    if bad_since:
        errors["from"] = _("Give the day as dd/mm/yyyy.")
    if bad_until:
        errors["to"] = _("Give the day as dd/mm/yyyy.")
    unit_ids, unit = None, None
    if args.get("unit", "").strip():
        unit = find_unit(args["unit"].strip())
        if unit is None:
            errors["unit"] = _("No unit with this code.")
        else:
            unit_ids = subtree_ids(unit.id)
    action = args.get("action") if args.get("action") in ACTION_LABELS else None
    entity = args.get("kind") if args.get("kind") in ENTITY_LABELS else None
    stmt = trail_query(visible_unit_ids(current_user), (args.get("actor") or "").strip()[:200] or None,
                       unit_ids, action, entity, since, until + timedelta(days=1) if until else None)
    return stmt, errors, unit


def _shown(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return _("%(num)d items", num=len(value)) if len(value) > 3 else ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            pass
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def in_words(row) -> list[tuple[str, str, str]]:
    """(field, before, after) of an audit row, as a person reads them."""
    return [(str(FIELD_LABELS.get(k, k)), _shown(k, old), _shown(k, new)) for k, old, new in changed_fields(row)]


def _who(row) -> str:
    if row.actor is None:
        return _("system")
    return row.actor.name or row.actor.email


@bp.get("/audit")
@login_required
def trail():
    stmt, errors, unit = _filters()
    number = page_number(request.args.get("page"))
    rows = [] if errors else db.session.scalars(stmt.offset((number - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", rows=[(r, in_words(r)) for r in rows], errors=errors,
                           page=number, more=more, args=args, actions=ACTION_LABELS, kinds=ENTITY_LABELS,
                           who=_who, unit=unit), 400 if errors else 200


@bp.get("/audit.csv")
@login_required
def trail_csv():
    stmt, errors, _unit = _filters()
    if errors:
        return Response("\n".join(errors.values()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("When"), _("Who"), _("Action"), _("Object"), _("Number"), _("Changes")])
    for row in db.session.scalars(stmt.limit(EXPORT_MAX)):
        changes = "; ".join(f"{f}: {b} → {a}" for f, b, a in in_words(row))
        writer.writerow([row.at.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M:%S"), _who(row),
                         str(ACTION_LABELS.get(row.action, row.action)),
                         str(ENTITY_LABELS.get(row.entity_type, row.entity_type)), row.entity_id, changes])
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
