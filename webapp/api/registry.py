"""API: units, endpoints, connectivity checks, readiness and a unit's feed URL."""
from __future__ import annotations

from apiflask import HTTPError
from flask import url_for
from flask_babel import gettext as _

from models import Endpoint, db
from models.base import utcnow
from models.errors import DomainError
from models.feeds import feed_token_for_unit, renew_unit_feed
from models.permissions import can_renew_unit_feed, can_see_unit_meetings
from models.readiness import readiness, readiness_clock, ready_unit_ids
from models.registry import add_endpoint, change_endpoint, log_check, units_query
from reports.figures_cache import cached, figures_key

from ..registry import readiness_max_age
from .common import actor, auth, bp, fail, unit_field, unit_or_404
from .schemas import (
    CheckIn,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    FeedOut,
    ReadinessOut,
    ReadinessQuery,
    UnitDetailOut,
    UnitOut,
    UnitsQuery,
)


def unit_dict(unit, ready: bool) -> dict:
    return {"code": unit.ref, "name": unit.name, "level": unit.level,
            "division_type": unit.division_type, "parent": unit.parent.ref if unit.parent else None,
            "ready": ready, "dissolved_on": unit.dissolved_on,
            "successors": [s.ref for s in unit.successors]}


def endpoint_dict(endpoint: Endpoint, now) -> dict:
    last = endpoint.checks[0] if endpoint.checks else None
    return {"id": endpoint.id, "unit": endpoint.unit.ref, "name": endpoint.name, "room": endpoint.room,
            "kind": endpoint.kind, "address": endpoint.address, "status": endpoint.status,
            "ready": endpoint.is_ready(now, readiness_max_age()), "last_check": last}


@bp.get("/units")
@bp.auth_required(auth)
@bp.input(UnitsQuery, location="query")
@bp.output(UnitOut(many=True))
@bp.doc(summary="List units", description="`q` ignores case and diacritics, as the UI search does.")
def list_units(query_data):
    parent = unit_field(query_data["parent"], "parent") if query_data.get("parent") else None
    units = db.session.scalars(units_query(query_data.get("q"), query_data.get("level"), parent,
                                           query_data.get("include_dissolved", False))).all()
    ready = ready_unit_ids((u.id for u in units), utcnow(), readiness_max_age())
    return [unit_dict(u, u.id in ready) for u in units]


@bp.get("/units/<string:unit>")
@bp.auth_required(auth)
@bp.output(UnitDetailOut)
@bp.doc(summary="One unit with its endpoints and readiness")
def get_unit(unit):
    u = unit_or_404(unit)
    now = utcnow()
    endpoints = [endpoint_dict(e, now) for e in db.session.scalars(
        db.select(Endpoint).where(Endpoint.unit_id == u.id).order_by(Endpoint.id))]
    return {**unit_dict(u, any(e["ready"] for e in endpoints)), "endpoints": endpoints}


@bp.post("/units/<string:unit>/endpoints")
@bp.auth_required(auth)
@bp.input(EndpointIn, location="json")
@bp.output(EndpointOut, status_code=201)
@bp.doc(summary="Add an endpoint to a unit", responses=[403, 404])
def create_endpoint(unit, json_data):
    u = unit_or_404(unit)
    try:
        endpoint = add_endpoint(u, json_data, actor())
    except DomainError as exc:
        fail(exc)
    return endpoint_dict(endpoint, utcnow())


def _endpoint_or_404(endpoint_id: int) -> Endpoint:
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        raise HTTPError(404, _("No endpoint %(id)s.", id=endpoint_id), extra_data={"code": "not_found"})
    return endpoint


@bp.patch("/endpoints/<int:endpoint_id>")
@bp.auth_required(auth)
@bp.input(EndpointPatch, location="json")
@bp.output(EndpointOut)
@bp.doc(summary="Change an endpoint", responses=[403, 404])
def patch_endpoint(endpoint_id, json_data):
    endpoint = _endpoint_or_404(endpoint_id)
    try:
        change_endpoint(endpoint, json_data, actor())
    except DomainError as exc:
        fail(exc)
    return endpoint_dict(endpoint, utcnow())


@bp.post("/endpoints/<int:endpoint_id>/checks")
@bp.auth_required(auth)
@bp.input(CheckIn, location="json")
@bp.output(EndpointOut, status_code=201)
@bp.doc(summary="Log a connectivity check", description="`checked_at` defaults to now.",
        responses=[403, 404])
def create_check(endpoint_id, json_data):
    endpoint = _endpoint_or_404(endpoint_id)
    try:
        log_check(endpoint, json_data, actor())
    except DomainError as exc:
        fail(exc)
    db.session.refresh(endpoint)
    return endpoint_dict(endpoint, utcnow())


def readiness_dict(parent) -> dict:
    """Readiness as the API gives it, kept per data version and readiness clock."""
    now, max_age = utcnow(), readiness_max_age()

    def build() -> dict:
        overall, districts = readiness(now, max_age, parent)
        return {"ready": overall.ready, "total": overall.total, "share": overall.share, "target": 100.0,
                "districts": [{"unit": r.unit.ref, "name": r.unit.name, "ready": r.ready,
                               "total": r.total, "share": r.share} for r in districts]}
    return cached(figures_key("api-readiness", readiness_clock(now, max_age), max_age,
                              parent.id if parent else None), build)


@bp.get("/readiness")
@bp.auth_required(auth)
@bp.input(ReadinessQuery, location="query")
@bp.output(ReadinessOut)
@bp.doc(summary="Share of ready communes, overall and per district")
def get_readiness(query_data):
    parent = unit_field(query_data["parent"], "parent") if query_data.get("parent") else None
    return readiness_dict(parent)


@bp.get("/reports/readiness")
@bp.auth_required(auth)
@bp.output(ReadinessOut)
@bp.doc(summary="Readiness report: ready communes against the 100% target")
def get_readiness_report():
    return readiness_dict(None)


@bp.get("/units/<string:unit>/feed")
@bp.auth_required(auth)
@bp.output(FeedOut)
@bp.doc(summary="The unit's calendar feed URL", responses=[403, 404])
def get_feed(unit):
    u = unit_or_404(unit)
    if not can_see_unit_meetings(actor(), u):
        raise HTTPError(403, _("You may not see this unit's meetings."), extra_data={"code": "forbidden"})
    token = feed_token_for_unit(u, actor())
    return {"url": _feed_url(token.token)}


@bp.post("/units/<string:unit>/feed/renew")
@bp.auth_required(auth)
@bp.output(FeedOut)
@bp.doc(summary="Revoke the unit's feed URL and make a new one", responses=[403, 404])
def renew_feed(unit):
    u = unit_or_404(unit)
    if not can_renew_unit_feed(actor(), u):
        raise HTTPError(403, _("Only the unit's clerks, its organisers and admins renew its feed."),
                        extra_data={"code": "forbidden"})
    token = renew_unit_feed(u, actor())
    return {"url": _feed_url(token.token)}


def _feed_url(token: str) -> str:
    return url_for("calendars.feed", token=token, _external=True)
