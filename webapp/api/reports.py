"""API: the online-meeting ratio report (JSON, CSV or XLSX)."""
from __future__ import annotations

from apiflask import Schema, fields, validators
from flask import Response, jsonify

from models.base import utcnow
from models.errors import DomainError
from reports.access import report_scope
from reports.csv_writer import report_csv
from reports.figures_cache import cached_body
from reports.periods import PERIOD_PATTERN, parse_period
from reports.rollup import rollup_as_of_today
from reports.xlsx_writer import report_xlsx

from ..labels import report_wording
from ..report_http import conditional, locale_tag, report_figures
from ..report_rollup import rollup_download
from .common import actor, auth, bp, fail

#: bump when the JSON's shape changes, so validators of old bodies stop matching
FORMAT_VERSION = "1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def province_field():
    """The `province` query field: narrows the report to one province of several loaded."""
    return fields.String(validate=validators.Length(max=3), metadata={
        "example": "48", "description": "A province's code, with several provinces loaded."})


def period_field():
    """The `period` query field of the report endpoints."""
    return fields.String(required=True, validate=validators.Regexp(
        PERIOD_PATTERN, error="Give a month (2019-03), a quarter (2019-Q1) or a year (2019)."),
        metadata={"example": "2019-03"})


class RatioQuery(Schema):
    period = period_field()
    province = province_field()
    format = fields.String(load_default="json", validate=validators.OneOf(["json", "csv", "xlsx"]))
    version = fields.Integer(validate=validators.Range(min=1, max=1_000_000),
                             metadata={"description": "A frozen version; live figures without it."})


class RatioRowOut(Schema):
    held = fields.Integer(required=True)
    held_online = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    awaiting_outcome = fields.Integer(required=True)
    ratio = fields.Float(allow_none=True, required=True)


class RuleRowOut(RatioRowOut):
    code = fields.String(required=True)
    name = fields.String(required=True)
    target = fields.Float(required=True)
    gap = fields.Float(allow_none=True, required=True)
    levels = fields.List(fields.String())
    categories = fields.List(fields.String())


class UnitRowOut(RatioRowOut):
    unit = fields.String(required=True, metadata={"example": "legacy:001"})
    unit_name = fields.String()
    level = fields.String()
    target = fields.Float(allow_none=True)
    gap = fields.Float(allow_none=True)


class AttendanceOut(Schema):
    meetings = fields.Integer(required=True)
    invited = fields.Integer(required=True)
    connected = fields.Integer(required=True)
    confirmed_before = fields.Integer(required=True)
    connected_share = fields.Float(allow_none=True, required=True)
    confirmed_share = fields.Float(allow_none=True, required=True)


class RatioReportOut(Schema):
    period = fields.String(required=True)
    frozen = fields.Boolean(required=True)
    version = fields.Integer(allow_none=True)
    frozen_at = fields.String()
    rules = fields.List(fields.Nested(RuleRowOut), required=True)
    not_covered = fields.Nested(RatioRowOut, required=True)
    organizers = fields.List(fields.Nested(UnitRowOut), required=True)
    districts = fields.List(fields.Nested(UnitRowOut), required=True)
    attendance = fields.Nested(AttendanceOut)


def report_file(report: dict, fmt: str) -> Response:
    """The report as a CSV or XLSX download."""
    name = f"ty-le-hop-truc-tuyen-{report['period']}" + (
        f"-v{report['version']}" if report.get("frozen") else "")
    words = report_wording()
    if fmt == "csv":
        body, mimetype = report_csv(report, words), "text/csv; charset=utf-8"
    else:
        body, mimetype = report_xlsx(report, words), XLSX
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/reports/online-ratio")
@bp.auth_required(auth)
@bp.input(RatioQuery, location="query")
@bp.output(RatioReportOut)
@bp.doc(summary="The online-meeting ratio against the targets",
        description="`period` is a month (2019-03), a quarter (2019-Q1) or a year (2019), by the "
                    "meeting's local start date. `format=csv` or `xlsx` returns a file. Organisers "
                    "and viewers see the units of their scope.", responses=[403, 404])
def get_online_ratio(query_data):
    fmt = query_data["format"]
    try:
        report, key, clock_moves = report_figures(query_data["period"], actor(), utcnow(),
                                                  query_data.get("version"), query_data.get("province"))
    except DomainError as exc:
        fail(exc)
    if fmt != "json":
        return conditional(key, (fmt, locale_tag()), lambda: report_file(report, fmt), clock_moves)
    # The JSON of ~580 organisers is built once per key, not on every request (#17: under load).
    return conditional(key, ("json", FORMAT_VERSION), lambda: Response(
        cached_body(key and (*key, "json", FORMAT_VERSION),
                    lambda: jsonify(RatioReportOut().dump(report)).get_data()),
        mimetype="application/json"), clock_moves)


class RollupQuery(Schema):
    period = period_field()
    province = province_field()
    format = fields.String(load_default="json", validate=validators.OneOf(["json", "csv", "xlsx"]))


class RollupSourceOut(Schema):
    unit = fields.String(required=True, metadata={"example": "legacy:00016"})
    name = fields.String(required=True)


class RollupRowOut(RatioRowOut):
    unit = fields.String(required=True, metadata={"example": "2025:00004"})
    unit_name = fields.String(required=True)
    level = fields.String(required=True)
    no_successor = fields.Boolean(required=True, metadata={
        "description": "A dissolved unit no unit in force stands for (it keeps a row of its own)."})
    from_ = fields.List(fields.Nested(RollupSourceOut), required=True, data_key="from",
                        attribute="from", metadata={"description": "The earlier units counted here."})


class RollupOut(Schema):
    period = fields.String(required=True)
    as_of = fields.String(required=True, metadata={"example": "2026-12-03"})
    rule = fields.String(required=True, metadata={
        "description": "How a split commune is counted: `seat` (the successor that took its seat)."})
    rows = fields.List(fields.Nested(RollupRowOut), required=True)
    total = fields.Nested(RatioRowOut, required=True)


@bp.get("/reports/online-ratio/as-of-today")
@bp.auth_required(auth)
@bp.input(RollupQuery, location="query")
@bp.output(RollupOut)
@bp.doc(summary="The online-meeting ratio re-grouped onto today's units",
        description="Not the historic report: each organiser's meetings of the period count under the "
                    "unit in force today that stands for it (a split commune under the successor that "
                    "took its seat). Totals equal the historic report's. `format=csv` or `xlsx` "
                    "returns a file. Organisers and viewers see the units of their scope.",
        responses=[403])
def get_rollup(query_data):
    try:
        scope = report_scope(actor(), query_data.get("province"))
        rollup = rollup_as_of_today(parse_period(query_data["period"]), utcnow(), scope)
    except DomainError as exc:
        fail(exc)
    if query_data["format"] != "json":
        return rollup_download(rollup, query_data["format"])
    return RollupOut().dump(rollup)
