"""The report's names, districts and target rules are read once per data version: a second
report with nothing written runs one statement (the aggregate, which reads the version too), and
any write to
units or rules (or one pending in the session) is seen by the next report."""
from __future__ import annotations

from models import TargetRule, db
from reports.online_ratio import online_ratio
from reports.periods import parse_period
from tests.fixtures.sql import statements_of

from .cases import EXPECTED_MARCH, NOW, build_cases, by_key


def _selects(fn):
    result, seen = statements_of(fn)
    return result, [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_a_second_report_is_one_statement(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    march = parse_period("2019-03")
    first = online_ratio(march, NOW)
    again, selects = _selects(lambda: online_ratio(march, NOW))
    assert again == first and by_key(again) == EXPECTED_MARCH
    assert len(selects) == 1, selects
    assert "data_version" in selects[0] and "meetings" in selects[0]
    assert "target_rules" not in selects[0]


def test_a_renamed_organiser_and_a_new_target_show_in_the_next_report(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    march = parse_period("2019-03")
    online_ratio(march, NOW)
    hanoi["ba_dinh"].name = "Quận Ba Đình mới"
    db.session.commit()
    names = {r["unit"]: r["unit_name"] for r in online_ratio(march, NOW)["organizers"]}
    assert names["legacy:001"] == "Quận Ba Đình mới"
    districts = {r["unit"]: r["unit_name"] for r in online_ratio(march, NOW)["districts"]}
    assert districts["legacy:001"] == "Quận Ba Đình mới"
    rule = db.session.scalar(db.select(TargetRule).where(TargetRule.code == "below_city_30"))
    rule.target = 45
    db.session.commit()
    rules = {r["code"]: r["target"] for r in online_ratio(march, NOW)["rules"]}
    assert rules["below_city_30"] == 45.0


def test_a_session_that_has_written_reads_the_tables_afresh(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    march = parse_period("2019-03")
    online_ratio(march, NOW)
    hanoi["ba_dinh"].name = "Chưa lưu"
    db.session.flush()  # written in this transaction, not committed: the version has not moved
    names = {r["unit"]: r["unit_name"] for r in online_ratio(march, NOW)["organizers"]}
    assert names["legacy:001"] == "Chưa lưu"
    db.session.rollback()
