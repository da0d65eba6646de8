"""Frozen reports: unchanged after a late outcome; a new version differs; the monthly job."""
from datetime import UTC, datetime

from sqlalchemy import func, select

from models import ReportSnapshot, db
from reports.online_ratio import online_ratio
from reports.periods import parse_period
from reports.snapshots import (
    diff_reports,
    freeze_last_month,
    freeze_report,
    frozen_report,
    get_version,
    versions,
)

from .cases import EXPECTED_MARCH, NOW, build_cases, by_key


def test_frozen_report_survives_a_late_outcome_and_a_new_version_differs(hanoi, make_meeting, make_user):
    cases = build_cases(hanoi, make_meeting)
    admin = make_user("admin")
    first = freeze_report("2019-03", admin, NOW)
    assert (first.version, first.created_by_id) == (1, admin.id)
    assert by_key(frozen_report(first)) == EXPECTED_MARCH

    late = cases[6]  # Vĩnh Phúc's meeting, awaiting its outcome, is recorded as held online
    late.status, late.outcome_mode = "held", "online"
    db.session.commit()

    again = frozen_report(get_version("2019-03", 1))
    assert by_key(again) == EXPECTED_MARCH and again["frozen"] is True and again["version"] == 1
    live = online_ratio(parse_period("2019-03"), NOW)
    assert by_key(live)["rules"]["below_city_30"]["held"] == 7

    second = freeze_report("2019-03", admin, NOW)
    assert second.version == 2
    rule = by_key(frozen_report(second))["rules"]["below_city_30"]
    assert (rule["held"], rule["held_online"], rule["awaiting_outcome"], rule["ratio"]) == (7, 5, 0, 71.4)
    assert [s.version for s in versions("2019-03")] == [1, 2]
    assert by_key(frozen_report(get_version("2019-03", 1))) == EXPECTED_MARCH

    changes = diff_reports(frozen_report(first), live)
    below = {c["field"]: (c["frozen"], c["live"]) for c in changes
             if (c["section"], c["key"]) == ("rule", "below_city_30")}
    assert below == {"held": (6, 7), "held_online": (4, 5), "awaiting_outcome": (1, 0),
                     "ratio": (66.7, 71.4)}
    assert {(c["section"], c["key"]) for c in changes} == {
        ("rule", "below_city_30"), ("organizer", "legacy:00006"), ("district", "legacy:001")}
    assert diff_reports(frozen_report(second), live) == []


def test_frozen_report_seen_through_a_viewer_scope(hanoi, make_meeting, make_user):
    build_cases(hanoi, make_meeting)
    snap = freeze_report("2019-03", None, NOW)
    from reports.access import report_scope
    scope = report_scope(make_user("viewer", hanoi["hoan_kiem"]))
    frozen = by_key(frozen_report(snap, scope))
    assert frozen == by_key(online_ratio(parse_period("2019-03"), NOW, scope))
    assert set(frozen["districts"]) == {"legacy:002"}
    assert frozen["rules"]["below_city_30"]["held"] == 2


def test_monthly_job_freezes_last_month_once(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    at_seven = datetime(2019, 4, 1, 0, tzinfo=UTC)  # 07:00 local on 1 April
    snap = freeze_last_month(at_seven)
    assert (snap.period, snap.version) == ("2019-03", 1)
    assert freeze_last_month(datetime(2019, 4, 1, 0, 5, tzinfo=UTC)) is None
    assert db.session.scalar(select(func.count(ReportSnapshot.id))) == 1
    forced = freeze_last_month(datetime(2019, 4, 2, tzinfo=UTC), force=True)
    assert forced.version == 2
    assert freeze_last_month(datetime(2019, 5, 1, 0, tzinfo=UTC)).period == "2019-04"


def test_monthly_job_in_january_freezes_december(app):
    snap = freeze_last_month(datetime(2020, 1, 1, 0, tzinfo=UTC))
    assert snap.period == "2019-12"
    assert frozen_report(snap)["rules"][0]["ratio"] is None


def test_a_partial_freeze_before_month_end_does_not_stop_the_job(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    freeze_report("2019-03", None, datetime(2019, 3, 25, tzinfo=UTC))
    snap = freeze_last_month(datetime(2019, 4, 1, 0, tzinfo=UTC))
    assert snap is not None and snap.version == 2
