"""Calendar feeds: /feeds/<token>.ics (a unit's or a user's), /meetings/<id>.ics, feed URL pages."""
from __future__ import annotations

import re
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Meeting, db
from models.base import utcnow
from models.calendar_feeds import (
    dial_addresses,
    feed_meetings_query,
    feed_validators,
    feed_versions,
    forget_invitations,
    load_feed_meetings,
    scope_of_feed,
)
from models.feeds import (
    feed_token_for_unit,
    feed_token_for_user,
    find_feed_and_unit,
    renew_unit_feed,
    renew_user_feed,
)
from models.permissions import can_renew_unit_feed, can_see_meeting, can_see_unit_meetings
from scheduler import ical
from scheduler.briefing import attachment_loader

from .registry import unit_or_404
from .report_http import not_modified

bp = Blueprint("calendars", __name__)
ICS = "text/calendar; charset=utf-8"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def feed_not_found() -> Response:
    """The same plain answer for every token that names no live feed."""
    return Response("Not Found\n", 404, mimetype="text/plain")


def _base_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def ical_context(base_url: str, organizer_email: str, **options) -> ical.Context:
    """The serialiser's Context: config, translated labels, and the dial-in loader."""
    labels = ical.labels_in(_)
    options.setdefault("load_documents", attachment_loader(current_app.config))
    return ical.make_context(base_url, organizer_email, labels, load_dial=dial_addresses, **options)


def _calendar_response(body: bytes | None, etag: str, last_modified: datetime,
                       filename: str) -> Response:
    response = Response(body or b"", 304 if body is None else 200, content_type=ICS)
    if body is None:
        response.headers.pop("Content-Type", None)
        response.headers.pop("Content-Length", None)
    response.set_etag(etag.strip('"'))
    response.last_modified = last_modified
    response.headers["Cache-Control"] = "private, no-cache"  # revalidate: a 304 costs little
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/feeds/<token>.ics")
def feed(token: str):
    """A feed by its secret token; any unknown or revoked token is the same plain 404."""
    # Tokens are URL-safe base64; anything else (a NUL byte breaks PostgreSQL) names nothing.
    found = find_feed_and_unit(token) if TOKEN.fullmatch(token) else None
    scope = scope_of_feed(*found) if found is not None else None
    if scope is None:
        return feed_not_found()
    config = current_app.config
    query = feed_meetings_query(scope.unit_ids, utcnow(), config["FEED_PAST_DAYS"],
                               config["FEED_FUTURE_DAYS"])
    locale = config["BABEL_DEFAULT_LOCALE"]
    etag, last_modified = feed_validators(
        query, f"{scope.uid}|{scope.name}|{_base_url()}|{config['MAIL_SENDER']}|{locale}")
    if not_modified(etag, last_modified):
        return _calendar_response(None, etag, last_modified, "calendar.ics")

    def build() -> bytes:
        with force_locale(locale):
            ctx = ical_context(_base_url(), config["MAIL_SENDER"], scope=scope.unit_ids,
                               own_unit=scope.own_unit)
            loaded: list = []

            def load(ids: list[int]) -> list:
                rows = load_feed_meetings(ids, scope)
                loaded.extend(rows)
                return rows
            try:
                return ical.assemble_feed(feed_versions(query), load, ctx,
                                          name=f"Giao Ban · {scope.name}", uid=f"{scope.uid}@giaoban")
            finally:
                forget_invitations(loaded)
    body = ical.feed_body(etag, build)
    return _calendar_response(body, etag, last_modified, "calendar.ics")


@bp.get("/meetings/<int:meeting_id>.ics")
@login_required
def meeting_ics(meeting_id: int):
    """One meeting as a calendar file; for a series' occurrence, the series with its overrides."""
    meeting = db.get_or_404(Meeting, meeting_id)
    if not can_see_meeting(current_user, meeting):
        abort(404)
    body = ical.meeting_calendar_bytes(meeting, ical_context(_base_url(),
                                                             current_app.config["MAIL_SENDER"]))
    response = Response(body, content_type=ICS)
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{meeting.id}.ics"'
    return response


def _feed_url(token: str) -> str:
    return url_for("calendars.feed", token=token, _external=True)


@bp.get("/me/feed")
@login_required
def my_feed():
    return render_template("calendars/my_feed.html", feed_url=_feed_url(
        feed_token_for_user(current_user).token))


def _safe_next(value: str | None) -> str | None:
    return value if value and value.startswith("/") and not value.startswith("//") else None


def _confirm_renewal(feed_url: str, action: str, back: str, unit=None):
    """Renewing asks first: every calendar subscribed to the current address stops updating."""
    return render_template("calendars/renew_confirm.html", feed_url=feed_url, action=action, back=back,
                           unit=unit, feed_next=_safe_next(request.values.get("next")))


@bp.route("/me/feed/renew", methods=["GET", "POST"])
@login_required
def renew_my_feed():
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return _confirm_renewal(_feed_url(feed_token_for_user(current_user).token),
                                url_for("calendars.renew_my_feed"), url_for("calendars.my_feed"))
    renew_user_feed(current_user)
    flash(_("Your calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for("calendars.my_feed"))


def _unit_or_404(ref: str):
    """:raise 404: no such unit, or one whose meetings the user may not see."""
    unit = unit_or_404(ref)
    if not can_see_unit_meetings(current_user, unit):
        abort(404)
    return unit


@bp.get("/units/<ref>/feed")
@login_required
def unit_feed(ref: str):
    unit = _unit_or_404(ref)
    return render_template("calendars/unit_feed.html", unit=unit, may_renew=can_renew_unit_feed(current_user, unit),
                           feed_url=_feed_url(feed_token_for_unit(unit).token))


@bp.route("/units/<ref>/feed/renew", methods=["GET", "POST"])
@login_required
def renew_unit(ref: str):
    unit = _unit_or_404(ref)
    if not can_renew_unit_feed(current_user, unit):
        abort(403)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return _confirm_renewal(_feed_url(feed_token_for_unit(unit).token),
                                url_for("calendars.renew_unit", ref=unit.ref),
                                _safe_next(request.values.get("next")) or url_for("calendars.unit_feed", ref=unit.ref),
                                unit)
    renew_unit_feed(unit, current_user)
    flash(_("The unit's calendar feed has a new address; the old one no longer works."), "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/")
                    and not request.form.get("next", "").startswith("//")
                    else url_for("calendars.unit_feed", ref=unit.ref))
