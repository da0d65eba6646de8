"""API: meetings, series, bridges and slots, with the SPEC's 201/409/422 answers."""
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from models import Meeting, db

NOW = datetime(2019, 1, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def org_headers(organizer, token_for):
    return token_for(organizer)


def body(bridge_, **extra):
    bridge = bridge_
    data = {"title": "Giao ban tuần", "category": "giao_ban", "organizer": "legacy:01",
            "mode": "online", "start": "2019-03-04T08:00:00", "end": "2019-03-04T10:00:00+07:00",
            "participants": ["all:districts_and_communes"], "bridge": bridge.id}
    data.update(extra)
    return data


def test_book_read_list(client, equipped, bridge, org_headers):
    r = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers)
    assert r.status_code == 201, r.json
    m = r.json
    assert m["start"] == "2019-03-04T08:00:00+07:00" and m["end"] == "2019-03-04T10:00:00+07:00"
    assert m["revision"] == 0 and m["status"] == "scheduled" and m["uid"].endswith("@giaoban")
    assert m["warnings"] == {"not_ready": []} and len(m["occurrences"]) == 1
    assert len(m["participants"]) == 8 and {p["response"] for p in m["participants"]} == {"pending"}
    got = client.get(f"/api/v1/meetings/{m['id']}", headers=org_headers).json
    assert got["title"] == "Giao ban tuần" and got["ports"] == 9
    listed = client.get("/api/v1/meetings?unit=legacy:00001&from=2019-03-01T00:00:00&to=2019-03-31T00:00:00",
                        headers=org_headers).json
    assert [x["id"] for x in listed] == [m["id"]]
    assert client.get("/api/v1/meetings?unit=legacy:00001&from=2019-04-01T00:00:00",
                      headers=org_headers).json == []


def test_series_answers_with_its_occurrences(client, equipped, bridge, org_headers):
    r = client.post("/api/v1/meetings", json=body(bridge, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4"),
                    headers=org_headers)
    assert r.status_code == 201, r.json
    assert [o["start"][:10] for o in r.json["occurrences"]] == ["2019-03-04", "2019-03-11",
                                                                "2019-03-18", "2019-03-25"]
    assert r.json["series"]["rrule"] == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"


def test_clash_is_409_with_conflicts(client, equipped, bridge, org_headers):
    first = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers).json
    r = client.post("/api/v1/meetings", json=body(bridge, title="Trùng giờ", participants=["legacy:00037"],
                                                  start="2019-03-04T09:59:00+07:00"), headers=org_headers)
    assert r.status_code == 409
    err = r.json["error"]
    assert err["code"] == "conflict"
    (c,) = err["details"]["conflicts"]
    assert c["meeting_id"] == first["id"] and c["title"] == "Giao ban tuần"
    assert set(c["units"]) == {"legacy:01", "legacy:00037"}
    assert c["start"] and c["end"]
    assert db.session.scalar(select(func.count(Meeting.id))) == 1


def test_not_ready_warning_and_strict(client, equipped, bridge, org_headers):
    equipped["dong_xuan"].status = "faulty"
    db.session.commit()
    r = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers)
    assert r.status_code == 201 and r.json["warnings"]["not_ready"] == ["legacy:00040"]
    r = client.post("/api/v1/meetings", json=body(bridge, strict=True, start="2019-03-05T08:00:00",
                                                  end="2019-03-05T09:00:00"), headers=org_headers)
    assert r.status_code == 422 and "participants" in r.json["error"]["details"]


@pytest.mark.parametrize("extra, field", [
    ({"end": "2019-03-04T07:00:00"}, "end"),
    ({"category": "tea"}, "category"),
    ({"organizer": "legacy:99999"}, "organizer"),
    ({"participants": ["legacy:99999"]}, "participants"),
    ({"participants": []}, "participants"),
    ({"rrule": "FREQ=SECONDLY"}, "rrule"),
    ({"bridge": 999999}, "bridge"),
    ({"start": "not a date"}, "start"),
    ({"start": "2018-12-01T08:00:00", "end": "2018-12-01T09:00:00"}, "start"),
    ({"mode": None}, "mode"),
])
def test_bad_input_is_422_naming_the_field(client, equipped, bridge, org_headers, extra, field):
    r = client.post("/api/v1/meetings", json=body(bridge, **extra), headers=org_headers)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["details"]
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_change_cancel_and_outcome(client, equipped, bridge, org_headers):
    mid = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers).json["id"]
    r = client.patch(f"/api/v1/meetings/{mid}", json={"start": "2019-03-04T14:00:00",
                                                      "end": "2019-03-04T16:00:00"}, headers=org_headers)
    assert r.status_code == 200 and r.json["revision"] == 1 and r.json["start"].startswith("2019-03-04T14:00")
    r = client.patch(f"/api/v1/meetings/{mid}", json={"participants": ["legacy:00001"]}, headers=org_headers)
    assert [p["unit"] for p in r.json["participants"]] == ["legacy:00001"] and r.json["revision"] == 2
    with time_machine.travel(datetime(2019, 3, 4, 10, tzinfo=UTC)):
        r = client.post(f"/api/v1/meetings/{mid}/outcome", headers=org_headers,
                        json={"status": "held", "mode": "hybrid", "connected": ["legacy:00001"]})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "held" and r.json["outcome_mode"] == "hybrid"
    assert r.json["participants"][0]["connected"] is True
    mid2 = client.post("/api/v1/meetings", json=body(bridge, start="2019-03-06T08:00:00",
                                                     end="2019-03-06T09:00:00"), headers=org_headers).json["id"]
    r = client.post(f"/api/v1/meetings/{mid2}/cancel", json={}, headers=org_headers)
    assert r.status_code == 200 and r.json["status"] == "cancelled" and r.json["revision"] == 1


def test_outcome_before_the_end_is_refused(client, equipped, bridge, org_headers):
    mid = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers).json["id"]
    r = client.post(f"/api/v1/meetings/{mid}/outcome", json={"status": "held", "mode": "online"},
                    headers=org_headers)
    assert r.status_code == 409 and "status" in r.json["error"]["details"]  # not yet: the state
    r = client.post(f"/api/v1/meetings/{mid}/outcome", json={"status": "maybe"}, headers=org_headers)
    assert r.status_code == 422 and "status" in r.json["error"]["details"]


def test_organizer_outside_scope(client, hanoi, equipped, bridge, make_user, token_for, org_headers):
    district = token_for(make_user("organizer", hanoi["ba_dinh"]))
    r = client.post("/api/v1/meetings", json=body(bridge, organizer="legacy:002"), headers=district)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    city_meeting = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers).json["id"]
    r = client.post(f"/api/v1/meetings/{city_meeting}/cancel", json={}, headers=district)
    assert r.status_code == 403  # Ba Đình's communes are invited: it sees it, but may not cancel
    r = client.post("/api/v1/meetings", json=body(bridge, organizer="legacy:001", participants=["legacy:00001"],
                                                  start="2019-03-05T08:00:00", end="2019-03-05T09:00:00"),
                    headers=district)
    assert r.status_code == 201
    other = token_for(make_user("organizer", hanoi["hoan_kiem"]))
    assert client.get(f"/api/v1/meetings/{r.json['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/meetings/{r.json['id']}/cancel", json={}, headers=other).status_code == 404


def test_bridges_and_slots(client, hanoi, equipped, make_user, token_for, org_headers):
    admin = token_for(make_user("admin"))
    assert client.post("/api/v1/bridges", json={"name": "MCU 2", "capacity": 10},
                       headers=org_headers).status_code == 403
    r = client.post("/api/v1/bridges", json={"name": "MCU 2", "capacity": 10}, headers=admin)
    assert r.status_code == 201
    bid = r.json["id"]
    assert client.post("/api/v1/bridges", json={"name": "MCU 2", "capacity": 5}, headers=admin).status_code == 409
    assert client.post("/api/v1/bridges", json={"name": "", "capacity": 0}, headers=admin).status_code == 422
    assert [b["name"] for b in client.get("/api/v1/bridges", headers=org_headers).json] == ["MCU 2"]
    client.post("/api/v1/meetings", json={"title": "Sáng", "category": "giao_ban", "organizer": "legacy:01",
                                          "mode": "online", "start": "2019-03-04T08:00:00",
                                          "end": "2019-03-04T12:00:00", "participants": ["legacy:00001"],
                                          "bridge": bid}, headers=org_headers)
    r = client.get(f"/api/v1/slots?participants=legacy:00001,legacy:00004&duration=120"
                   f"&from=2019-03-04T00:00:00&to=2019-03-06T00:00:00&bridge={bid}&limit=2", headers=org_headers)
    assert r.status_code == 200, r.json
    assert [s["start"] for s in r.json] == ["2019-03-04T13:00:00+07:00", "2019-03-04T13:30:00+07:00"]
    r = client.get("/api/v1/slots?participants=legacy:00001&duration=60&from=2019-03-06T00:00:00"
                   "&to=2019-03-04T00:00:00", headers=org_headers)
    assert r.status_code == 422 and "to" in r.json["error"]["details"]


def test_a_meeting_read_is_kept_until_a_write_and_revalidates_with_its_etag(
        client, equipped, bridge, org_headers):
    """#17: the read of a meeting is built once per data version (and whether it awaits its
    outcome), answered 304 on its ETag, and follows a change of invitees and the clock's end."""
    mid = client.post("/api/v1/meetings", json=body(bridge), headers=org_headers).json["id"]
    first = client.get(f"/api/v1/meetings/{mid}", headers=org_headers)
    assert first.status_code == 200 and first.headers["ETag"] and first.json["awaiting_outcome"] is False
    again = client.get(f"/api/v1/meetings/{mid}", headers=org_headers)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    etag = first.headers["ETag"]
    assert client.get(f"/api/v1/meetings/{mid}", headers={**org_headers, "If-None-Match": etag}).status_code == 304
    r = client.patch(f"/api/v1/meetings/{mid}", json={"participants": ["legacy:00001"]}, headers=org_headers)
    assert r.status_code == 200, r.json
    changed = client.get(f"/api/v1/meetings/{mid}", headers={**org_headers, "If-None-Match": etag})
    assert changed.status_code == 200 and [p["unit"] for p in changed.json["participants"]] == ["legacy:00001"]
    with time_machine.travel(datetime(2019, 3, 4, 10, 30, tzinfo=UTC)):
        ended = client.get(f"/api/v1/meetings/{mid}", headers=org_headers)
    assert ended.json["awaiting_outcome"] is True and ended.headers["ETag"] != changed.headers["ETag"]
