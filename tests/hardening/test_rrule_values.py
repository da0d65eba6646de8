"""RRULE values are checked, not only their shape; series have a horizon (#12)."""
from datetime import datetime

import pytest

from models.errors import ValidationFailed
from scheduler.recurrence import expand, parse_rrule

START = datetime(2019, 3, 4, 8, 0)


@pytest.mark.parametrize("rule", [
    "FREQ=MONTHLY;BYDAY=0MO;COUNT=3", "FREQ=MONTHLY;BYDAY=99MO;COUNT=3", "FREQ=MONTHLY;BYDAY=-99MO;COUNT=3",
    "FREQ=WEEKLY;UNTIL=20300230", "FREQ=WEEKLY;UNTIL=20300101T256199Z", "FREQ=WEEKLY;COUNT=³",
    "FREQ=WEEKLY;INTERVAL=²;COUNT=3", "FREQ=WEEKLY;BYDAY=1MO;COUNT=3", "FREQ=WEEKLY;UNTIL=٢٠٣٠٠١٠١",
])
def test_bad_values_are_refused_naming_the_rule(rule):
    with pytest.raises(ValidationFailed) as exc:
        expand(rule, START)
    assert "rrule" in exc.value.details


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;INTERVAL=12;BYDAY=5MO;COUNT=300",
                                  "FREQ=WEEKLY;UNTIL=20990101", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31;COUNT=6"])
def test_a_series_has_a_horizon(rule):
    with pytest.raises(ValidationFailed) as exc:
        expand(rule, START)
    assert "rrule" in exc.value.details


def test_good_rules_still_expand():
    assert len(expand("FREQ=MONTHLY;BYDAY=-1FR;COUNT=12", START)) == 12
    assert len(expand("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20191231", START)) > 50
    assert parse_rrule("FREQ=MONTHLY;BYDAY=2TU;COUNT=3")["BYDAY"] == "2TU"


def test_through_the_api(client, equipped, bridge, organizer, token_for):
    import time_machine
    with time_machine.travel(datetime(2019, 1, 2, 1, 0).astimezone(), tick=True):
        r = client.post("/api/v1/meetings", headers=token_for(organizer), json={
            "title": "Họp", "category": "giao_ban", "organizer": "legacy:01", "mode": "in_person",
            "start": "2019-03-04T08:00:00", "end": "2019-03-04T09:00:00",
            "rrule": "FREQ=MONTHLY;INTERVAL=12;BYDAY=5MO;COUNT=300"})
    assert r.status_code == 422 and "rrule" in r.json["error"]["details"], r.json
