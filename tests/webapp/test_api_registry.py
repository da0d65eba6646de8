"""API: units, endpoints, checks, readiness, feed URL; errors in the SPEC's format."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditLog, ConnectivityCheck, Endpoint, db
from models.base import utcnow
from models.users import ApiToken


@pytest.fixture
def admin_headers(make_user, token_for):
    return token_for(make_user("admin"))


def new_endpoint(client, headers, unit="legacy:00001", **extra):
    body = {"name": "Phòng họp tầng 2", "kind": "room_system", "address": "sip:px@hn.vn",
            "status": "installed", **extra}
    return client.post(f"/api/v1/units/{unit}/endpoints", json=body, headers=headers)


def test_list_units_with_search_and_filters(client, hanoi, admin_headers):
    r = client.get("/api/v1/units?q=phuc", headers=admin_headers)
    assert r.status_code == 200
    assert sorted(u["code"] for u in r.json) == ["legacy:00001", "legacy:00006", "legacy:00037"]
    r = client.get("/api/v1/units?level=district", headers=admin_headers)
    assert [u["code"] for u in r.json] == ["legacy:001", "legacy:002"]
    r = client.get("/api/v1/units?parent=legacy:002", headers=admin_headers)
    assert {u["parent"] for u in r.json} == {"legacy:002"} and len(r.json) == 3
    one = r.json[0]
    assert set(one) >= {"code", "name", "level", "division_type", "parent", "ready"}
    r = client.get("/api/v1/units?level=department", headers=admin_headers)
    assert sorted(u["code"] for u in r.json) == ["SNV", "STTTT"]


def test_unit_detail_with_endpoints_and_readiness(client, hanoi, admin_headers):
    created = new_endpoint(client, admin_headers)
    assert created.status_code == 201, created.json
    assert created.json["unit"] == "legacy:00001" and created.json["ready"] is False
    eid = created.json["id"]
    r = client.post(f"/api/v1/endpoints/{eid}/checks", headers=admin_headers,
                    json={"passed": True, "audio_ok": True, "video_ok": True,
                          "bandwidth_kbps": 2048, "note": "Âm thanh rõ"})
    assert r.status_code == 201, r.json
    assert r.json["ready"] is True and r.json["last_check"]["bandwidth_kbps"] == 2048
    assert r.json["last_check"]["checked_at"].endswith("+07:00")
    detail = client.get("/api/v1/units/legacy:00001", headers=admin_headers).json
    assert detail["ready"] is True and detail["endpoints"][0]["id"] == eid
    r = client.patch(f"/api/v1/endpoints/{eid}", json={"status": "faulty"}, headers=admin_headers)
    assert r.status_code == 200 and r.json["ready"] is False
    assert client.get("/api/v1/units/legacy:00001", headers=admin_headers).json["ready"] is False
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == eid)).all()
    assert actions == ["create", "check", "update"]
    update = db.session.scalar(select(AuditLog).where(AuditLog.action == "update"))
    assert update.before["status"] == "installed" and update.after["status"] == "faulty"


def test_check_time_without_offset_is_local(client, hanoi, admin_headers):
    eid = new_endpoint(client, admin_headers).json["id"]
    yesterday = (utcnow() - timedelta(days=1)).astimezone().replace(tzinfo=None)
    local = (utcnow() + timedelta(hours=7) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    r = client.post(f"/api/v1/endpoints/{eid}/checks", headers=admin_headers,
                    json={"passed": True, "checked_at": local})
    assert r.status_code == 201, r.json
    assert r.json["last_check"]["checked_at"].startswith(local)
    assert yesterday  # the local wall-clock time round-trips unchanged


def test_readiness_endpoints(client, hanoi, admin_headers):
    eid = new_endpoint(client, admin_headers).json["id"]
    client.post(f"/api/v1/endpoints/{eid}/checks", json={"passed": True}, headers=admin_headers)
    r = client.get("/api/v1/readiness", headers=admin_headers)
    assert r.json["ready"] == 1 and r.json["total"] == 6 and r.json["share"] == 16.7
    assert {d["unit"]: d["share"] for d in r.json["districts"]} == {"legacy:001": 33.3,
                                                                     "legacy:002": 0.0}
    r = client.get("/api/v1/readiness?parent=legacy:002", headers=admin_headers)
    assert r.json["total"] == 3 and r.json["ready"] == 0
    assert client.get("/api/v1/reports/readiness", headers=admin_headers).json["target"] == 100.0


def test_unknown_unit_is_a_json_404(client, hanoi, admin_headers):
    r = client.get("/api/v1/units/legacy:99999", headers=admin_headers)
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found" and "legacy:99999" in r.json["error"]["message"]
    assert client.patch("/api/v1/endpoints/999", json={}, headers=admin_headers).status_code == 404
    assert client.get("/api/v1/nothing-here", headers=admin_headers).json["error"]["code"] == "not_found"


@pytest.mark.parametrize("body, fields", [
    ({"kind": "room_system"}, {"name"}),
    ({"name": "", "kind": "room_system"}, {"name"}),
    ({"name": "x", "kind": "satellite"}, {"kind"}),
    ({"name": "x", "kind": "software", "status": "broken"}, {"status"}),
    ({"name": "x" * 201, "kind": "software"}, {"name"}),
    ({"name": 5, "kind": None}, {"name", "kind"}),
    ({"name": "x", "kind": "software", "colour": "red"}, {"colour"}),
])
def test_bad_endpoint_is_422_naming_fields(client, hanoi, admin_headers, body, fields):
    r = client.post("/api/v1/units/legacy:00001/endpoints", json=body, headers=admin_headers)
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid"
    assert set(r.json["error"]["details"]) == fields
    assert db.session.scalar(select(func.count(Endpoint.id))) == 0


@pytest.mark.parametrize("body, fields", [
    ({}, {"passed"}),
    ({"passed": "yes please"}, {"passed"}),
    ({"passed": True, "bandwidth_kbps": -1}, {"bandwidth_kbps"}),
    ({"passed": True, "checked_at": "yesterday"}, {"checked_at"}),
    ({"passed": True, "checked_at": "2999-01-01T10:00:00+07:00"}, {"checked_at"}),
    ({"passed": True, "note": "n" * 2001}, {"note"}),
])
def test_bad_check_is_422_and_nothing_written(client, hanoi, admin_headers, body, fields):
    eid = new_endpoint(client, admin_headers).json["id"]
    r = client.post(f"/api/v1/endpoints/{eid}/checks", json=body, headers=admin_headers)
    assert r.status_code == 422, r.json
    assert set(r.json["error"]["details"]) == fields
    assert db.session.scalar(select(func.count(ConnectivityCheck.id))) == 0
    assert db.session.get(Endpoint, eid).last_check_at is None


def test_malformed_json_is_4xx(client, hanoi, admin_headers):
    r = client.post("/api/v1/units/legacy:00001/endpoints", data="{not json",
                    headers={**admin_headers, "Content-Type": "application/json"})
    assert r.status_code in (400, 422) and "error" in r.json


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_missing_or_wrong_token_is_401(client, hanoi, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/units", headers=headers)
    assert r.status_code == 401
    assert r.json["error"]["code"] == "unauthorized"


def test_revoked_token_is_401(client, hanoi, make_user, token_for):
    user = make_user("admin")
    headers = token_for(user)
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    for row in db.session.scalars(select(ApiToken)):
        row.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_feed_url_and_renew(client, hanoi, make_user, token_for):
    clerk = token_for(make_user("clerk", hanoi["phuc_xa"]))
    r = client.get("/api/v1/units/legacy:00001/feed", headers=clerk)
    assert r.status_code == 200 and "/feeds/" in r.json["url"] and r.json["url"].endswith(".ics")
    token = r.json["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 22  # at least 128 bits of base64
    assert client.get("/api/v1/units/legacy:00001/feed", headers=clerk).json == r.json
    renewed = client.post("/api/v1/units/legacy:00001/feed/renew", headers=clerk).json["url"]
    assert renewed != r.json["url"]
    assert client.get("/api/v1/units/legacy:00004/feed", headers=clerk).status_code == 403


def test_openapi_document_is_generated(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in ("/api/v1/units", "/api/v1/units/{unit}", "/api/v1/units/{unit}/endpoints",
                 "/api/v1/endpoints/{endpoint_id}", "/api/v1/endpoints/{endpoint_id}/checks",
                 "/api/v1/readiness", "/api/v1/units/{unit}/feed"):
        assert path in paths, path
    assert "BearerAuth" in str(doc["components"]["securitySchemes"]) or doc["components"]["securitySchemes"]
