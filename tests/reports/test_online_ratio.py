"""The ratio on hand-built meetings: local month bounds, kinds of meeting, rules, districts."""
from datetime import UTC, datetime

import pytest

from models import TargetRule, db
from models.errors import ValidationFailed
from reports.access import report_scope
from reports.online_ratio import meetings_query, monthly_trend, online_ratio
from reports.periods import parse_period
from reports.targets import rules_for_year

from .cases import EXPECTED_MARCH, NOW, build_cases, by_key, counts


@pytest.fixture
def cases(hanoi, make_meeting):
    return build_cases(hanoi, make_meeting)


def test_march_matches_the_hand_worked_figures(cases):
    report = online_ratio(parse_period("2019-03"), NOW)
    assert report["period"] == "2019-03"
    assert by_key(report) == EXPECTED_MARCH


def test_april_holds_the_meeting_at_half_past_midnight_on_the_first(cases):
    report = by_key(online_ratio(parse_period("2019-04"), NOW))
    assert report["rules"]["below_city_30"] == {**counts(1, 0, 0, 0, 0.0), "target": 30.0, "gap": -30.0}
    assert report["organizers"] == {"legacy:001": {**counts(1, 0, 0, 0, 0.0), "target": 30.0,
                                                   "gap": -30.0}}


def test_february_holds_the_meeting_at_half_past_eleven_on_its_last_day(cases):
    report = by_key(online_ratio(parse_period("2019-02"), NOW))
    assert report["rules"]["below_city_30"] == {**counts(1, 1, 0, 0, 100.0), "target": 30.0, "gap": 70.0}
    assert report["districts"]["legacy:002"]["held"] == 1


@pytest.mark.parametrize("period, city, below, not_covered", [
    ("2019-Q1", counts(2, 1, 0, 0, 50.0), counts(7, 5, 1, 1, 71.4), counts(1, 1, 0, 0, 100.0)),
    ("2019", counts(2, 1, 0, 0, 50.0), counts(8, 5, 1, 1, 62.5), counts(1, 1, 0, 0, 100.0)),
    ("2019-Q2", counts(0, 0, 0, 0, None), counts(1, 0, 0, 0, 0.0), counts(0, 0, 0, 0, None)),
])
def test_quarters_and_years(cases, period, city, below, not_covered):
    report = by_key(online_ratio(parse_period(period), NOW))
    assert {k: report["rules"]["city_80"][k] for k in city} == city
    assert {k: report["rules"]["below_city_30"][k] for k in below} == below
    assert report["not_covered"] == not_covered


def test_empty_period_divides_by_nothing(cases):
    report = online_ratio(parse_period("2019-07"), NOW)
    assert [(r["code"], r["held"], r["ratio"], r["gap"]) for r in report["rules"]] == [
        ("below_city_30", 0, None, None), ("city_80", 0, None, None)]
    assert report["not_covered"] == counts(0, 0, 0, 0, None)
    assert report["organizers"] == []
    assert [(d["unit"], d["held"], d["ratio"]) for d in report["districts"]] == [
        ("legacy:001", 0, None), ("legacy:002", 0, None)]


def test_awaiting_depends_on_now(cases):
    before_end = datetime(2019, 3, 20, 3, tzinfo=UTC)
    after_end = datetime(2019, 3, 20, 4, tzinfo=UTC)
    assert online_ratio(parse_period("2019-03"), before_end)["districts"][0]["awaiting_outcome"] == 0
    assert online_ratio(parse_period("2019-03"), after_end)["districts"][0]["awaiting_outcome"] == 1


def test_viewer_scope_keeps_their_district(cases, hanoi, make_user):
    viewer = make_user("viewer", hanoi["ba_dinh"])
    report = by_key(online_ratio(parse_period("2019-03"), NOW, report_scope(viewer)))
    assert report["rules"]["city_80"]["held"] == 0
    assert report["rules"]["below_city_30"] == {**counts(3, 2, 1, 1, 66.7), "target": 30.0, "gap": 36.7}
    assert report["not_covered"] == counts(0, 0, 0, 0, None)
    assert set(report["organizers"]) == {"legacy:001", "legacy:00001", "legacy:00004", "legacy:00006"}
    assert set(report["districts"]) == {"legacy:001"}


def test_clerk_has_no_report_scope(hanoi, make_user):
    from models.errors import Forbidden
    with pytest.raises(Forbidden):
        report_scope(make_user("clerk", hanoi["phuc_xa"]))
    assert report_scope(make_user("admin")) is None
    assert report_scope(make_user("organizer", hanoi["snv"])) == {hanoi["snv"].id}


def test_monthly_trend(cases):
    trend = {t["month"]: t for t in monthly_trend(2019, NOW)}
    assert len(trend) == 12
    assert trend["2019-02"]["rules"]["below_city_30"]["ratio"] == 100.0
    assert trend["2019-03"]["rules"]["below_city_30"]["ratio"] == 66.7
    assert trend["2019-03"]["rules"]["city_80"]["ratio"] == 50.0
    assert trend["2019-04"]["rules"]["below_city_30"]["held"] == 1
    assert trend["2019-04"]["rules"]["below_city_30"]["ratio"] == 0.0
    assert trend["2019-06"]["all"] == counts(0, 0, 0, 0, None)


@pytest.mark.parametrize("filters, expected", [
    ({"rule": "city_80"}, [8, 9]),
    ({"rule": "not_covered"}, [7]),
    ({"rule": "below_city_30", "kind": "held_online"}, [12, 3, 10, 1]),
    ({"district": "ba_dinh"}, [3, 4, 5, 6, 1]),
    ({"district": "ba_dinh", "kind": "awaiting"}, [6]),
    ({"unit": "truc_bach", "kind": "cancelled"}, [5]),
])
def test_drill_down_lists_the_meetings_behind_a_figure(cases, hanoi, filters, expected):
    ids = {v.id: k for k, v in cases.items()}
    stmt = meetings_query(parse_period("2019-03"), NOW, rule=filters.get("rule"),
                          kind=filters.get("kind"),
                          unit_id=hanoi[filters["unit"]].id if "unit" in filters else None,
                          district_id=hanoi[filters["district"]].id if "district" in filters else None)
    assert [ids[m.id] for m in db.session.scalars(stmt)] == expected


@pytest.mark.parametrize("text", ["", "2019-13", "2019-Q5", "19-03", "2019-3", "abc", "2500"])
def test_bad_periods_are_refused(text):
    with pytest.raises(ValidationFailed) as exc:
        parse_period(text)
    assert "period" in exc.value.details


def test_rules_of_the_latest_plan_year_apply(app):
    db.session.add(TargetRule(plan_year=2021, code="all_50", name="Mọi cuộc họp", levels=["city"],
                              categories=["giao_ban"], target=50))
    db.session.commit()
    assert [r["code"] for r in rules_for_year(2020)] == ["below_city_30", "city_80"]
    assert [r["code"] for r in rules_for_year(2022)] == ["all_50"]
    assert [r["code"] for r in rules_for_year(2010)] == ["below_city_30", "city_80"]


def test_a_meeting_under_two_rules_counts_in_each(hanoi, make_meeting):
    db.session.add(TargetRule(plan_year=2019, code="training", name="Tập huấn",
                              levels=["department"], categories=["tap_huan"], target=50))
    db.session.commit()
    make_meeting(hanoi["snv"], datetime(2019, 5, 2, 2, tzinfo=UTC), category="tap_huan",
                 status="held", outcome_mode="online")
    report = by_key(online_ratio(parse_period("2019-05"), NOW))
    assert report["rules"]["training"]["held"] == 1 and report["rules"]["below_city_30"]["held"] == 1
    assert report["not_covered"]["held"] == 0
    assert report["organizers"]["SNV"]["target"] is None  # two rules cover departments
