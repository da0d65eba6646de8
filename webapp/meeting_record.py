"""Record a meeting that already took place ("đã diễn ra"): its outcome, actual mode and the
units that connected. It books no endpoint and no bridge (SPEC); `book_meeting` with an
`outcome` does the rest."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.base import LOCAL, utcnow
from models.errors import DomainError, ValidationFailed
from models.meetings import TITLE_MAX
from scheduler.booking import book_meeting

from .labels import Form, error_message, flash_form_errors
from .meeting_forms import CATEGORY_LABELS, MODE_LABELS, options

bp = Blueprint("meeting_record", __name__)

HELD_LABELS = {"held": _l("Held"), "cancelled": _l("Did not take place")}


class RecordForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    category = SelectField(_l("Category"), choices=options(CATEGORY_LABELS.items()))
    organizer = StringField(_l("Organiser (unit code)"), validators=[DataRequired(), Length(max=64)])
    start = DateTimeLocalField(_l("Start (local time)"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    end = DateTimeLocalField(_l("End (local time)"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    participants = TextAreaField(_l("Invited units (codes, one per line or comma-separated)"),
                                 validators=[Optional(), Length(max=20000)])
    status = SelectField(_l("Outcome"), choices=options(HELD_LABELS.items()))
    mode = SelectField(_l("Held as"), choices=options(MODE_LABELS.items()))
    connected = TextAreaField(_l("Units that connected (codes)"), validators=[Optional(), Length(max=20000)])


def _codes(text: str | None) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text or "") if c]


@bp.route("/meetings/record", methods=["GET", "POST"])
@login_required
def record():
    if current_user.role not in ("admin", "organizer"):
        abort(403)
    form = RecordForm()
    if form.validate_on_submit():
        held = form.status.data == "held"
        data = {"title": form.title.data, "category": form.category.data, "organizer": form.organizer.data.strip(),
                "mode": form.mode.data, "start": form.start.data.replace(tzinfo=LOCAL),
                "end": form.end.data.replace(tzinfo=LOCAL), "participants": _codes(form.participants.data),
                "outcome": {"status": form.status.data, "mode": form.mode.data if held else None,
                            "connected": _codes(form.connected.data) if held else []}}
        try:
            booking = book_meeting(data, current_user, utcnow())
        except ValidationFailed as exc:
            flash_form_errors(form, exc, {"outcome": "status"})
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Past meeting recorded."), "success")
            return redirect(url_for("meetings.detail", meeting_id=booking.meetings[0].id))
    status = 400 if form.is_submitted() else 200
    return render_template("meetings/record.html", form=form), status
