"""The office's page for the reorganisation: review the plan, pick successors, then apply it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.base import utcnow
from models.errors import DomainError
from scheduler.reorganise import apply_reorganisation, plan_reorganisation

bp = Blueprint("reorganise", __name__, url_prefix="/admin/reorganise")
DATASET = "2025"


def _choices(values) -> dict[int, int]:
    """`choice-<dissolved unit id>=<successor id>` pairs from the form or the query string."""
    out = {}
    for key, value in values.items():
        if key.startswith("choice-"):
            try:
                out[int(key.removeprefix("choice-"))] = int(value)
            except ValueError:
                abort(400)
    return out


def _admin() -> None:
    if current_user.role != "admin":
        abort(403)


def _refused(exc: DomainError) -> str:
    parts = [exc.translated(_)] + [f"{field}: {', '.join(_(m) for m in messages)}"
                                   for field, messages in exc.details.items()]
    return " ".join(parts)


@bp.get("/")
@login_required
def index():
    _admin()
    choices = _choices(request.args)
    try:
        plan = plan_reorganisation(DATASET, utcnow(), choices)
    except DomainError as exc:
        flash(_refused(exc), "danger")
        return redirect(url_for(".index"), 303)
    return render_template("reorganise/index.html", plan=plan, totals=plan.totals())


@bp.post("/")
@login_required
def apply():
    _admin()
    try:
        plan = apply_reorganisation(DATASET, utcnow(), current_user, _choices(request.form))
    except DomainError as exc:
        flash(_refused(exc), "danger")
        return redirect(url_for(".index"), 303)
    if plan.empty:
        flash(_("Nothing to move: every dissolved unit's holdings are with its successors."), "info")
    else:
        flash(_("Reorganised: the holdings of %(n)d dissolved units moved to their successors.",
                n=len(plan.moves)), "success")
    return redirect(url_for(".index"), 303)
