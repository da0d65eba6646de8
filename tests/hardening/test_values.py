"""Values the API used to bend: fractional bridges, impossible offsets, invisible text (#12)."""
from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2019, 1, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


def body(bridge_, **extra):
    data = {"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
            "start": "2019-03-04T08:00:00+07:00", "end": "2019-03-04T10:00:00+07:00",
            "participants": ["legacy:00001"], "bridge": bridge_.id}
    data.update(extra)
    return data


@pytest.fixture
def headers(organizer, token_for):
    return token_for(organizer)


@pytest.mark.parametrize("extra, field", [
    ({"bridge": 1.5}, "bridge"), ({"start": "2019-03-04T08:00:00+07:60"}, "start"),
    ({"title": "\u200b\ufeff\u202e"}, "title"), ({"title": " \u200b "}, "title")])
def test_bent_values_are_refused(client, equipped, bridge, headers, extra, field):
    r = client.post("/api/v1/meetings", headers=headers, json=body(bridge, **extra))
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["details"]


def test_invisible_decline_reason_is_refused(client, equipped, bridge, headers, make_user, token_for, hanoi):
    mid = client.post("/api/v1/meetings", headers=headers, json=body(bridge)).json["id"]
    clerk = make_user("clerk", hanoi["phuc_xa"])
    r = client.put(f"/api/v1/meetings/{mid}/responses/legacy:00001", headers=token_for(clerk),
                   json={"status": "declined", "reason": "\u200b\u202e"})
    assert r.status_code == 422 and "reason" in r.json["error"]["details"], r.json


def test_nul_only_bridge_name_is_refused(client, make_user, token_for):
    r = client.post("/api/v1/bridges", headers=token_for(make_user("admin")),
                    json={"name": "\x00\x00", "capacity": 3})
    assert r.status_code == 422 and "name" in r.json["error"]["details"], r.json
