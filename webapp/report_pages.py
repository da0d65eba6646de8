"""Report pages: the online-meeting ratio with charts, its drill-down, freezing, target rules."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import DecimalField, IntegerField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models import TargetRule, db
from models.base import LOCAL, utcnow
from models.errors import DomainError, ValidationFailed
from models.meetings import CATEGORIES
from models.readiness import readiness, readiness_clock
from models.targets import save_target_rule
from models.units import LEVELS, find_unit
from reports.access import province_ids, report_provinces, report_scope
from reports.figures_cache import cached, clock_key, figures_key
from reports.online_ratio import KINDS, NOT_COVERED, meetings_query, monthly_trend
from reports.periods import month_before, parse_period, shift
from reports.snapshots import diff_reports, freeze_report, versions
from reports.targets import plan_years, rules_for_year

from .api.reports import report_file
from .labels import (
    CATEGORY_LABELS,
    FIGURE_LABELS,
    LEVEL_LABELS,
    Form,
    error_details,
    flash_form_errors,
    period_label,
)
from .registry import local_time
from .report_http import NOW_MARK, cached_page, conditional, locale_tag, minute_start, report_figures

bp = Blueprint("report_pages", __name__)

#: the organisers' table shows its first rows, and every one on asking (?all=organizers)
ORGANIZERS_SHOWN = 50
#: the drill-down's kinds, labelled as the figures they count
KIND_LABELS = {kind: FIGURE_LABELS[figure] for kind, figure in KINDS.items()}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TargetRuleForm(Form):
    plan_year = IntegerField(_l("Plan year"), validators=[Optional()])
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    levels = MultiCheckboxField(_l("Organiser levels"), choices=[SelectChoice(k, LEVEL_LABELS[k]) for k in LEVELS])
    categories = MultiCheckboxField(_l("Categories"),
                                    choices=[SelectChoice(k, CATEGORY_LABELS[k]) for k in CATEGORIES])
    target = DecimalField(_l("Target (%)"), places=1, validators=[Optional()])


def _province() -> str | None:
    """The `province` asked for (a code such as 48), or None."""
    return request.args.get("province", "").strip()[:8] or None


def _scope():
    """The reader's scope, within the province asked for.
    :raise Forbidden: for those who may not read reports (the 403 page). :raise 400: a province
    that is not loaded."""
    try:
        return report_scope(current_user, _province())
    except ValidationFailed as exc:
        abort(400, "; ".join(m for ms in error_details(exc).values() for m in ms))


def _admin_only() -> None:
    if current_user.role != "admin":
        abort(403)


def _version_arg() -> int | None:
    raw = request.args.get("version", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 1_000_000:
        abort(400, _("The version must be a positive whole number."))
    return int(raw)


@bp.route("/reports/online-ratio")
@login_required
def online_ratio():
    scope = _scope()
    now = utcnow()
    label = request.args.get("period") or month_before(now).label
    version = _version_arg()
    try:
        period = parse_period(label)
    except ValidationFailed:
        return render_template("reports/online_ratio.html", period=None, asked=label[:20],
                               error=_("Give a month (2019-03), a quarter (2019-Q1) or a year (2019).")), 400
    parent = None
    if scope is not None and current_user.unit is not None and \
            current_user.unit.level in ("district", "commune"):
        parent = current_user.unit
    province = _province()
    among = province_ids(province) if province else None  # the readiness of that province only
    max_age = current_app.config["READINESS_MAX_AGE_DAYS"]
    scope_key = None if scope is None else tuple(sorted(scope))
    ready_at = min(now, period.end - timedelta(seconds=1))  # the period's last instant, or now
    # Readiness of a past instant reads the check history (the data alone); of now, it follows
    # the clock only as far as `readiness_clock` says.
    ready_clock = ready_at if ready_at < now else readiness_clock(now, max_age)
    # The validators move every minute (the page says when it was printed); the stored bytes
    # move with the data, the figures' clock and readiness's (`cached_page`).
    page_key = figures_key("page", period.label, version, scope_key, minute_start(now))
    body_key = figures_key("page-body", period.label, version, scope_key, clock_key(period, now),
                           ready_clock, max_age, parent.id if parent else None)

    def render_page() -> str:
        try:
            report, _key, _moves = report_figures(period.label, current_user, now, version, province)
        except DomainError:
            abort(404)
        live = report_figures(period.label, current_user, now, None, province)[0] if version else report
        year = parse_period(str(period.year))
        trend = cached(figures_key("trend", period.year, scope_key, clock_key(year, now)),
                       lambda: monthly_trend(period.year, now, scope))
        ready_overall, ready_districts = cached(
            figures_key("readiness", ready_clock, max_age, parent.id if parent else None, province),
            lambda: readiness(now, max_age, parent, at=ready_at, among=among))
        rules = rules_for_year(period.year)
        return render_template(
            "reports/online_ratio.html", period=period, report=report, live=live,
            changes=diff_reports(report, live) if version else [],
            trend=trend, versions=versions(period.label),
            previous=shift(period, -1), following=shift(period, 1),
            quarter=parse_period(f"{period.year}-Q{(period.first_month - 1) // 3 + 1}"),
            ready_overall=ready_overall, ready_districts=ready_districts, max_age=max_age,
            ready_on=ready_at.astimezone(LOCAL).date(),
            plan_year=rules[0]["plan_year"] if rules else None,
            is_admin=current_user.role == "admin", not_covered=NOT_COVERED,
            provinces=report_provinces(current_user), province=province,
            error=None, printed_on=NOW_MARK, organizers_shown=ORGANIZERS_SHOWN,
            all_organizers=request.args.get("all") == "organizers",
            all_organizers_url=url_for(".online_ratio", **(request.args.to_dict() | {"all": "organizers"}),
                                       _anchor="organizers"))
    return cached_page(page_key, body_key, render_page, now, printed=local_time)


@bp.route("/reports/online-ratio/download")
@login_required
def download():
    _scope()
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        abort(400, _("The format must be csv or xlsx."))
    try:
        report, key, clock_moves = report_figures(request.args.get("period", ""), current_user,
                                                  utcnow(), _version_arg(), _province())
    except ValidationFailed as exc:
        abort(400, "; ".join(m for ms in error_details(exc).values() for m in ms))
    except DomainError:
        abort(404)
    return conditional(key, (fmt, locale_tag()), lambda: report_file(report, fmt), clock_moves)


@bp.route("/reports/online-ratio/meetings")
@login_required
def meetings():
    scope = _scope()
    try:
        period = parse_period(request.args.get("period"))
    except ValidationFailed:
        abort(400, _("Give a month (2019-03), a quarter (2019-Q1) or a year (2019)."))
    rules = {r["code"]: r for r in rules_for_year(period.year)}
    rule, kind = request.args.get("rule") or None, request.args.get("kind") or None
    if rule is not None and rule != NOT_COVERED and rule not in rules:
        abort(404)
    if kind is not None and kind not in KINDS:
        abort(400, _("Unknown kind of figure."))
    units = {}
    for arg in ("unit", "district"):
        if request.args.get(arg):
            unit = find_unit(request.args[arg])
            if unit is None:
                abort(404)
            if scope is not None and unit.id not in scope:
                abort(403)
            units[arg] = unit
    stmt = meetings_query(period, utcnow(), scope, rule=rule, kind=kind,
                          unit_id=units["unit"].id if "unit" in units else None,
                          district_id=units["district"].id if "district" in units else None)
    page = db.paginate(stmt, per_page=100, max_per_page=100, error_out=False)
    return render_template("reports/meetings.html", period=period, page=page, rule=rule,
                           rule_name=(rules[rule]["name"] if rule in rules else None), kind=kind,
                           units=units, kinds=KIND_LABELS, categories=CATEGORY_LABELS,
                           not_covered=NOT_COVERED, args=request.args)


@bp.route("/reports/online-ratio/freeze", methods=["POST"])
@login_required
def freeze():
    _admin_only()
    try:
        snap = freeze_report(request.form.get("period", ""), current_user)
    except ValidationFailed:
        abort(400, _("Give a month (2019-03), a quarter (2019-Q1) or a year (2019)."))
    flash(_("Froze %(period)s as version %(version)d.", period=period_label(snap.period), version=snap.version),
          "success")
    return redirect(url_for(".online_ratio", period=snap.period, version=snap.version), 303)


@bp.route("/reports/targets")
@login_required
def targets():
    _admin_only()
    rules = db.session.scalars(db.select(TargetRule).order_by(TargetRule.plan_year.desc(),
                                                             TargetRule.code)).all()
    return render_template("reports/targets.html", rules=rules, years=plan_years(),
                           levels=LEVEL_LABELS, categories=CATEGORY_LABELS)


@bp.route("/reports/targets/new", methods=["GET", "POST"])
@bp.route("/reports/targets/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit_target(rule_id: int | None = None):
    _admin_only()
    rule = db.get_or_404(TargetRule, rule_id) if rule_id else None
    form = TargetRuleForm(obj=rule)
    if request.method == "GET" and rule is None:
        form.plan_year.data = utcnow().year
    if form.validate_on_submit():
        try:
            save_target_rule({"plan_year": form.plan_year.data, "code": form.code.data,
                              "name": form.name.data, "levels": form.levels.data,
                              "categories": form.categories.data, "target": form.target.data},
                             current_user, rule)
            flash(_("Target rule saved."), "success")
            return redirect(url_for(".targets"), 303)
        except ValidationFailed as exc:
            flash_form_errors(form, exc)
    status = 400 if request.method == "POST" else 200
    return render_template("reports/target_form.html", form=form, rule=rule), status
