"""A year that straddles 1 July 2025: each structure where it was in force, by hand-worked figures."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from models import ConnectivityCheck, Endpoint, db
from models.base import LOCAL
from models.readiness import readiness
from models.units import in_force
from reports.online_ratio import online_ratio
from reports.periods import parse_period

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def local(y, m, d, h=9):
    return datetime(y, m, d, h, tzinfo=LOCAL).astimezone(UTC)


@pytest.fixture
def reform(make_unit):
    """Legacy Quận Ba Đình with Phường Ngọc Hà and Phường Kim Mã; both went into the new Phường Ngọc Hà."""
    hn = make_unit("city", "01", name="Thành phố Hà Nội")
    district = make_unit("district", "001", hn, "Quận Ba Đình")
    ngoc_ha = make_unit("commune", "00016", district, "Phường Ngọc Hà")
    kim_ma = make_unit("commune", "00028", district, "Phường Kim Mã")
    new = make_unit("commune", "00004", hn, "Phường Ngọc Hà", dataset="2025")
    for old in (ngoc_ha, kim_ma):
        old.successors.append(new)
    for unit in (district, ngoc_ha, kim_ma):
        unit.dissolved_on = date(2025, 7, 1)
    db.session.commit()
    return {"city": hn, "district": district, "ngoc_ha": ngoc_ha, "kim_ma": kim_ma, "new": new}


def _endpoint(unit, checks):
    e = Endpoint(unit=unit, name=f"Điểm cầu {unit.name}", kind="room_system", status="ready")
    db.session.add(e)
    for at, passed in checks:
        db.session.add(ConnectivityCheck(endpoint=e, checked_at=at, passed=passed))
    last_at, last_passed = max(checks)
    e.last_check_at, e.last_check_passed = last_at, last_passed
    db.session.commit()
    return e


@pytest.mark.parametrize("day, expected", [
    (date(2025, 6, 30), {"00016", "00028", "001"}),  # the last day of the old structure
    (date(2025, 7, 1), {"00004"}),  # the first day of the new one
    (date(2019, 3, 1), {"00016", "00028", "001"}),
])
def test_units_in_force_change_on_the_day(reform, day, expected):
    from sqlalchemy import select

    from models.units import Unit
    found = set(db.session.scalars(select(Unit.code).where(in_force(day), Unit.level != "city")))
    assert found == expected
    assert {u.code for u in reform.values() if u.level != "city" and u.in_force_on(day)} == expected


def test_the_readiness_share_uses_the_communes_in_force_on_the_date_and_the_checks_then(reform):
    _endpoint(reform["ngoc_ha"], [(local(2025, 6, 20), True)])
    _endpoint(reform["kim_ma"], [(local(2025, 6, 1), True), (local(2025, 6, 25), False)])
    _endpoint(reform["new"], [(local(2025, 7, 10), True)])
    before, districts = readiness(NOW, 30, at=local(2025, 6, 30, 23))
    assert (before.ready, before.total) == (1, 2)  # Kim Mã's latest check before then failed
    assert [(r.unit.code, r.ready, r.total) for r in districts] == [("001", 1, 2)]
    on_the_day, districts = readiness(NOW, 30, at=local(2025, 7, 15))
    assert (on_the_day.ready, on_the_day.total, districts) == (1, 1, [])
    today, _ = readiness(NOW, 30)  # the new ward's only check is long stale now
    assert (today.ready, today.total) == (0, 1)
    early, _ = readiness(NOW, 30, at=local(2025, 6, 10))  # before Ngọc Hà's first check
    assert (early.ready, early.total) == (1, 2)  # Kim Mã passed on 1/6, within 30 days


def test_a_year_across_the_reform_shows_both_structures(reform, make_meeting):
    make_meeting(reform["ngoc_ha"], local(2025, 6, 10), status="held", outcome_mode="online",
                 category="giao_ban")
    make_meeting(reform["kim_ma"], local(2025, 6, 12), status="held", outcome_mode="in_person",
                 category="giao_ban")
    make_meeting(reform["new"], local(2025, 8, 5), status="held", outcome_mode="online", category="giao_ban")
    make_meeting(reform["new"], local(2025, 9, 5), status="held", outcome_mode="in_person",
                 category="giao_ban")
    year = online_ratio(parse_period("2025"), NOW)
    assert {o["unit"]: (o["held"], o["held_online"]) for o in year["organizers"]} == {
        "legacy:00016": (1, 1), "legacy:00028": (1, 0), "2025:00004": (2, 1)}
    assert [(d["unit"], d["held"], d["held_online"], d["ratio"]) for d in year["districts"]] == [
        ("legacy:001", 2, 1, 50.0)]  # the district's table ends with June
    below = next(r for r in year["rules"] if r["code"] == "below_city_30")
    assert (below["held"], below["held_online"], below["ratio"]) == (4, 2, 50.0)
    june, august = online_ratio(parse_period("2025-06"), NOW), online_ratio(parse_period("2025-08"), NOW)
    assert [d["unit"] for d in june["districts"]] == ["legacy:001"]
    assert august["districts"] == []
    assert [o["unit"] for o in august["organizers"]] == ["2025:00004"]


def test_the_as_of_today_rollup_regroups_onto_todays_communes_by_seat(reform, make_unit, make_meeting):
    from reports.rollup import rollup_as_of_today

    giang_vo = make_unit("commune", "00008", reform["city"], "Phường Giảng Võ", dataset="2025")
    reform["kim_ma"].successors.append(giang_vo)  # Kim Mã split: Ngọc Hà (lowest code) takes its seat
    db.session.commit()
    make_meeting(reform["ngoc_ha"], local(2025, 6, 10), status="held", outcome_mode="online")
    make_meeting(reform["kim_ma"], local(2025, 6, 12), status="held", outcome_mode="in_person")
    make_meeting(reform["district"], local(2025, 6, 13), status="held", outcome_mode="online")
    make_meeting(reform["new"], local(2025, 8, 5), status="held", outcome_mode="online")
    make_meeting(reform["new"], local(2025, 9, 5), status="held", outcome_mode="in_person")
    period = parse_period("2025")
    rollup = rollup_as_of_today(period, NOW)
    by_unit = {r["unit"]: r for r in rollup["rows"]}
    assert set(by_unit) == {"2025:00004", "legacy:001"}
    ngoc_ha = by_unit["2025:00004"]
    assert (ngoc_ha["held"], ngoc_ha["held_online"], ngoc_ha["ratio"]) == (4, 2, 50.0)
    assert [f["unit"] for f in ngoc_ha["from"]] == ["legacy:00016", "legacy:00028"]
    assert by_unit["legacy:001"]["no_successor"] and by_unit["legacy:001"]["held"] == 1
    historic = online_ratio(period, NOW)
    assert rollup["total"]["held"] == sum(o["held"] for o in historic["organizers"]) == 5
    chosen = rollup_as_of_today(period, NOW, choices={reform["kim_ma"].id: giang_vo.id})
    by_unit = {r["unit"]: r for r in chosen["rows"]}
    assert (by_unit["2025:00004"]["held"], by_unit["2025:00004"]["ratio"]) == (3, 66.7)
    assert (by_unit["2025:00008"]["held"], by_unit["2025:00008"]["ratio"]) == (1, 0.0)
