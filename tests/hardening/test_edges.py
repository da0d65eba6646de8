"""The edge, once for every route (#12): control characters, JSON nesting, 503s, redirects, 405."""
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from config import TestConfig
from models import db
from webapp import create_app
from webapp.hardening import safe_next


@pytest.fixture
def org_headers(organizer, token_for):
    return token_for(organizer)


def test_nul_in_the_sign_in_email_is_refused_naming_the_field(client, auth, make_user):
    user = make_user("admin")
    r = client.post("/login", data={"email": "a\x00@example.vn", "password": "x",
                                    "csrf_token": auth.csrf()})
    assert r.status_code == 400
    assert "email" in r.get_data(as_text=True)
    assert auth.login(user).status_code == 302


@pytest.mark.parametrize("path", ["/api/v1/units?q=ph%00uc", "/api/v1/units/legacy:0%000001",
                                  "/api/v1/meetings?unit=legacy%3A%00"])
def test_nul_in_query_and_path_is_refused(client, hanoi, org_headers, path):
    r = client.get(path, headers=org_headers)
    assert r.status_code in (404, 422), r.get_data(as_text=True)
    assert r.json["error"]["details"], r.json


def test_control_characters_in_a_json_body_are_refused_naming_the_field(client, hanoi, org_headers):
    r = client.post("/api/v1/meetings", headers=org_headers,
                    json={"title": "Họp\x07", "participants": ["legacy:00001\x01"]})
    assert r.status_code == 422
    assert set(r.json["error"]["details"]) <= {"title", "participants[0]"}


def test_nul_in_json_never_reaches_the_database(client, hanoi, org_headers, bridge):
    r = client.post("/api/v1/meetings", headers=org_headers, json={
        "title": "Họp", "category": "giao_ban", "organizer": "legacy:0\x001", "mode": "in_person",
        "start": "2030-03-04T08:00:00", "end": "2030-03-04T09:00:00", "participants": ["\x00legacy:00001"]})
    assert r.status_code == 201, r.json
    r = client.get("/api/v1/meetings", headers=org_headers, query_string={"unit": "legacy:01"})
    assert r.status_code == 200
    r = client.post("/api/v1/meetings", headers=org_headers,
                    json={"title": "Họp", "description": "dòng 1\ndòng 2\tcột"})
    assert r.status_code == 422 and "title" not in r.json["error"]["details"]


def test_nul_in_a_page_query_is_a_400(client, auth, make_user, hanoi):
    auth.login(make_user("admin"))
    assert client.get("/units?q=%00").status_code == 400


def test_deeply_nested_json_is_a_400(client, org_headers):
    r = client.post("/api/v1/meetings", headers={**org_headers, "Content-Type": "application/json"},
                    data="[" * 100_000)
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    r = client.patch("/api/v1/meetings/1", headers={**org_headers, "Content-Type": "application/json"},
                     data='{"a":' * 50_000 + "1" + "}" * 50_000)
    assert r.status_code == 400


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\t/evil.example", "//evil.example",
                                    "/\\evil.example", "https://evil.example", "/\n/evil.example",
                                    " //evil.example"])
def test_no_open_redirect_after_sign_in(client, auth, make_user, target):
    from urllib.parse import unquote
    user = make_user("admin")
    r = client.post(f"/login?next={target}", data={"email": user.email, "password": "correct horse",
                                                    "csrf_token": auth.csrf()})
    location = r.headers.get("Location", "")
    assert r.status_code in (302, 400)
    if r.status_code == 302:
        assert not location.lstrip().startswith("//") and "evil.example" not in location, location
    assert safe_next(unquote(target), "/") == "/"


def test_no_open_redirect_from_the_language_switch(client, auth, make_user):
    auth.login(make_user("admin"))
    r = client.post("/lang/en", data={"next": "/\t/evil.example", "csrf_token": auth.csrf("/units")})
    assert r.status_code in (302, 400)
    assert "evil.example" not in r.headers.get("Location", "")
    r = client.post("/lang/en", data={"next": "/units?x=1", "csrf_token": auth.csrf("/units")})
    assert r.headers["Location"].endswith("/units?x=1")


def test_405_answers_carry_allow(client):
    r = client.put("/login")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    r = client.put("/api/v1/units")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]


def test_a_locked_database_is_503_with_retry_after(client, hanoi, org_headers, bridge, auth, make_user,
                                                   monkeypatch):
    import webapp.api.meetings
    import webapp.registry

    def locked(*_a, **_k):
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    monkeypatch.setattr(webapp.api.meetings, "book_meeting", locked)
    r = client.post("/api/v1/meetings", headers=org_headers, json={
        "title": "Họp", "category": "giao_ban", "organizer": "legacy:01", "mode": "in_person",
        "start": "2030-03-04T08:00:00", "end": "2030-03-04T09:00:00"})
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json["error"]["code"] == "unavailable"
    auth.login(make_user("admin"))
    monkeypatch.setattr(webapp.registry, "render_template", locked)
    r = client.get("/units")
    assert r.status_code == 503 and r.headers["Retry-After"] and "503" in r.get_data(as_text=True)


def test_a_database_outage_is_503(database_url):
    down = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:8399/none")
    c = down.test_client()
    r = c.get("/api/v1/units", headers={"Authorization": "Bearer abc"})
    assert r.status_code == 503 and r.headers["Retry-After"]
    r = c.post("/login", data={"email": "a@example.vn", "password": "x"})
    assert r.status_code in (400, 503)
    assert c.get("/healthz").status_code == 503


def test_healthz_says_not_ok_without_the_schema(client, app):
    assert client.get("/healthz").status_code == 200
    db.session.execute(text("UPDATE alembic_version SET version_num = 'nothing'"))
    db.session.commit()
    try:
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json["schema"] == "outdated"
    finally:
        from webapp.ops import schema_heads
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"),
                           {"v": sorted(schema_heads())[0]})
        db.session.commit()


@pytest.mark.parametrize("period, absent, present", [
    ("1900-01", "period=1899", "period=1900-02"), ("1900-Q1", "period=1899", "period=1900-Q2"),
    ("1900", "period=1899", "period=1901"), ("2200-12", "period=2201", "period=2200-11"),
    ("2200-Q4", "period=2201", "period=2200-Q3"), ("2200", "period=2201", "period=2199")])
def test_report_periods_at_the_ends_of_the_range_render_without_a_link_outside_it(
        client, auth, make_user, hanoi, period, absent, present):
    auth.login(make_user("admin"))
    r = client.get(f"/reports/online-ratio?period={period}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert absent not in page and present in page
