"""API: PUT /api/v1/meetings/{id}/responses/{unit}."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models.base import utcnow


@pytest.fixture
def meeting(hanoi, make_meeting):
    return make_meeting(hanoi["ba_dinh"], utcnow() + timedelta(days=2),
                        participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])


@pytest.fixture
def clerk_headers(hanoi, make_user, token_for):
    return token_for(make_user("clerk", hanoi["phuc_xa"]))


def put(client, meeting_id, unit, body, headers):
    return client.put(f"/api/v1/meetings/{meeting_id}/responses/{unit}", json=body, headers=headers)


def test_a_clerk_confirms_and_then_declines(client, meeting, clerk_headers):
    r = put(client, meeting.id, "legacy:00001", {"status": "confirmed", "attendee": "Lê Thị Mai",
                                                "title": "Chủ tịch UBND phường"}, clerk_headers)
    assert r.status_code == 200, r.json
    assert r.json["unit"] == "legacy:00001" and r.json["status"] == "confirmed"
    assert r.json["attendee"] == "Lê Thị Mai" and r.json["confirmed_before_start"] is True
    assert r.json["responded_at"].endswith("+07:00")
    r = put(client, meeting.id, "legacy:00001", {"status": "declined", "reason": "Ốm"}, clerk_headers)
    assert r.status_code == 200 and r.json["status"] == "declined" and r.json["attendee"] is None


def test_a_clerk_cannot_answer_for_another_unit(client, meeting, clerk_headers):
    r = put(client, meeting.id, "legacy:00004", {"status": "confirmed", "attendee": "X"}, clerk_headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("body,status,field", [
    ({"status": "declined"}, 422, "reason"),
    ({"status": "declined", "reason": ""}, 422, "reason"),
    ({"status": "confirmed"}, 422, "attendee"),
    ({"status": "confirmed", "attendee": "  "}, 422, "attendee"),
    ({"status": "pending"}, 422, "status"),
    ({}, 422, "status"),
    ({"status": "confirmed", "attendee": "A" * 201}, 422, "attendee"),
    ({"status": "confirmed", "attendee": ["A"]}, 422, "attendee"),
])
def test_bad_answers_are_4xx_with_the_field(client, meeting, clerk_headers, body, status, field):
    r = put(client, meeting.id, "legacy:00001", body, clerk_headers)
    assert r.status_code == status, r.json
    assert field in r.json["error"]["details"], r.json
    assert r.json["error"]["message"]


def test_no_answer_after_the_start(client, hanoi, make_meeting, clerk_headers):
    started = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=5),
                           participants=[hanoi["phuc_xa"]])
    r = put(client, started.id, "legacy:00001", {"status": "confirmed", "attendee": "A"}, clerk_headers)
    assert r.status_code == 409 and "start" in r.json["error"]["details"]  # the state, not the input


def test_a_unit_not_invited_is_404(client, meeting, hanoi, make_user, token_for):
    headers = token_for(make_user("clerk", hanoi["hang_ma"]))
    r = put(client, meeting.id, "legacy:00043", {"status": "confirmed", "attendee": "A"}, headers)
    assert r.status_code == 404 and "unit" in r.json["error"]["details"]


@pytest.mark.parametrize("path", ["/api/v1/meetings/999999/responses/legacy:00001",
                                  "/api/v1/meetings/{id}/responses/legacy:99999"])
def test_unknown_meeting_or_unit_is_404(client, meeting, clerk_headers, path):
    r = client.put(path.format(id=meeting.id), json={"status": "confirmed", "attendee": "A"},
                   headers=clerk_headers)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_a_token_is_required(client, meeting):
    r = client.put(f"/api/v1/meetings/{meeting.id}/responses/legacy:00001",
                   json={"status": "confirmed", "attendee": "A"})
    assert r.status_code == 401


def test_the_openapi_document_describes_the_answer(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/meetings/{meeting_id}/responses/{unit}"]["put"]
    assert {"200", "403", "404", "422"} <= set(op["responses"])
