"""Attendance at held online meetings."""
from reports.attendance import attendance
from reports.periods import parse_period

from .cases import build_cases


def test_shares_of_invited_units_that_connected_and_confirmed(hanoi, make_meeting):
    build_cases(hanoi, make_meeting)
    assert attendance(parse_period("2019-03")) == {
        "meetings": 1, "invited": 3, "connected": 2, "confirmed_before": 1,
        "connected_share": 66.7, "confirmed_share": 33.3}


def test_in_person_meetings_and_scope_are_left_out(hanoi, make_meeting):
    from datetime import UTC, datetime
    make_meeting(hanoi["ba_dinh"], datetime(2019, 3, 4, 2, tzinfo=UTC), status="held",
                 outcome_mode="in_person", participants=[hanoi["phuc_xa"]], connected=[hanoi["phuc_xa"]])
    build_cases(hanoi, make_meeting)
    assert attendance(parse_period("2019-03"), {hanoi["ba_dinh"].id})["invited"] == 0
    empty = attendance(parse_period("2019-08"))
    assert (empty["invited"], empty["connected_share"], empty["confirmed_share"]) == (0, None, None)
