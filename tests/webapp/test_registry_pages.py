"""Registry pages: sign-in, the tree, search, a unit's page, forms and their permissions."""
import re

import pytest
from sqlalchemy import func, select

from models import ConnectivityCheck, Endpoint, db


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_pages_need_sign_in(client, hanoi):
    for path in ("/", "/units", "/units/legacy:001", "/readiness"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_sign_in_wrong_password_then_right(client, hanoi, make_user, auth):
    user = make_user("viewer", hanoi["city"])
    r = auth.login(user, password="wrong")
    assert r.status_code == 200 and "Sai thư điện tử hoặc mật khẩu" in r.get_data(as_text=True)
    r = auth.login(user)
    assert r.status_code == 302
    assert client.get("/units").status_code == 200
    auth.logout()
    assert client.get("/units").status_code == 302


def test_login_without_csrf_is_refused(client, hanoi, make_user):
    user = make_user("admin")
    r = client.post("/login", data={"email": user.email, "password": "correct horse"})
    assert r.status_code == 400


def test_tree_and_search(client, hanoi, make_user, auth):
    auth.login(make_user("viewer", hanoi["city"]))
    page = client.get("/units").get_data(as_text=True)
    for name in ("Thành phố Hà Nội", "Quận Ba Đình", "Phường Phúc Xá", "Sở Nội vụ"):
        assert name in page
    page = client.get("/units?q=phuc+xa").get_data(as_text=True)
    assert "Phường Phúc Xá" in page and "Phường Trúc Bạch" not in page
    page = client.get("/units?q=%C4%90ONG+XUAN").get_data(as_text=True)  # "ĐONG XUAN"
    assert "Phường Đồng Xuân" in page


def test_admin_adds_edits_endpoint_and_clerk_logs_check(client, hanoi, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/units/legacy:00001/endpoints/new").get_data(as_text=True)
    r = client.post("/units/legacy:00001/endpoints/new", data={
        "csrf_token": csrf_of(page), "name": "Phòng họp 1", "room": "Tầng 2",
        "kind": "room_system", "address": "sip:1@hn.vn", "status": "installed"})
    assert r.status_code == 302
    e = db.session.scalar(select(Endpoint))
    assert e.name == "Phòng họp 1"
    page = client.get(f"/endpoints/{e.id}/edit").get_data(as_text=True)
    r = client.post(f"/endpoints/{e.id}/edit", data={
        "csrf_token": csrf_of(page), "name": "Phòng họp 1A", "kind": "software",
        "status": "ready", "room": "", "address": ""})
    assert r.status_code == 302
    db.session.refresh(e)
    assert (e.name, e.kind, e.status) == ("Phòng họp 1A", "software", "ready")
    auth.logout()

    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    page = client.get("/units/legacy:00001").get_data(as_text=True)
    assert "Ghi kết quả kiểm tra" in page  # "Record check"
    r = client.post(f"/endpoints/{e.id}/checks", data={
        "csrf_token": csrf_of(page), "passed": "y", "audio_ok": "y", "video_ok": "y",
        "bandwidth_kbps": "1500", "note": "Tốt"})
    assert r.status_code == 303
    page = client.get("/units/legacy:00001").get_data(as_text=True)
    assert "Sẵn sàng" in page and "Tốt" in page


def test_bad_check_form_is_400_and_nothing_written(client, hanoi, make_user, auth):
    e = Endpoint(unit=hanoi["phuc_xa"], name="P1", kind="software", status="ready")
    db.session.add(e)
    db.session.commit()
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    page = client.get("/units/legacy:00001").get_data(as_text=True)
    r = client.post(f"/endpoints/{e.id}/checks", data={"csrf_token": csrf_of(page),
                                                       "passed": "y", "bandwidth_kbps": "-5"})
    assert r.status_code == 400
    assert db.session.scalar(select(func.count(ConnectivityCheck.id))) == 0


@pytest.mark.parametrize("role, unit_key, add_endpoint, log_check", [
    ("admin", None, 302, 303),
    ("organizer", "city", 403, 403),
    ("viewer", "city", 403, 403),
    ("clerk", "phuc_xa", 403, 303),
    ("clerk", "truc_bach", 403, 403),
])
def test_endpoint_permissions_on_pages(client, hanoi, make_user, auth, role, unit_key,
                                       add_endpoint, log_check):
    e = Endpoint(unit=hanoi["phuc_xa"], name="P1", kind="software", status="ready")
    db.session.add(e)
    db.session.commit()
    auth.login(make_user(role, hanoi[unit_key] if unit_key else None))
    token = auth.csrf("/units")
    r = client.post("/units/legacy:00001/endpoints/new", data={
        "csrf_token": token, "name": "X", "kind": "software", "status": "planned"})
    assert r.status_code == add_endpoint
    r = client.post(f"/endpoints/{e.id}/checks", data={"csrf_token": token, "passed": "y"})
    assert r.status_code == log_check


@pytest.mark.parametrize("role, unit_key, add_endpoint, log_check, feed", [
    ("admin", None, 201, 201, 200),
    ("organizer", "ba_dinh", 403, 403, 200),
    ("organizer", "hoan_kiem", 403, 403, 403),
    ("viewer", "city", 403, 403, 200),
    ("clerk", "phuc_xa", 403, 201, 200),
    ("clerk", "truc_bach", 403, 403, 403),
])
def test_endpoint_permissions_on_api(client, hanoi, make_user, token_for, role, unit_key,
                                     add_endpoint, log_check, feed):
    e = Endpoint(unit=hanoi["phuc_xa"], name="P1", kind="software", status="ready")
    db.session.add(e)
    db.session.commit()
    headers = token_for(make_user(role, hanoi[unit_key] if unit_key else None))
    r = client.post("/api/v1/units/legacy:00001/endpoints", headers=headers,
                    json={"name": "X", "kind": "software"})
    assert r.status_code == add_endpoint
    r = client.patch(f"/api/v1/endpoints/{e.id}", headers=headers, json={"status": "faulty"})
    assert r.status_code == (200 if add_endpoint == 201 else 403)
    r = client.post(f"/api/v1/endpoints/{e.id}/checks", headers=headers, json={"passed": True})
    assert r.status_code == log_check
    assert client.get("/api/v1/units/legacy:00001/feed", headers=headers).status_code == feed
    if r.status_code == 403:
        assert r.json["error"]["code"] == "forbidden"


def test_readiness_dashboard(client, hanoi, make_user, auth):
    auth.login(make_user("viewer", hanoi["city"]))
    page = client.get("/readiness").get_data(as_text=True)
    assert "Quận Ba Đình" in page and "<svg" in page and 'data-testid="readiness-share">0,0%' in page


def test_english_on_request(client, hanoi, make_user, auth):
    auth.login(make_user("viewer", hanoi["city"]))
    assert "Đơn vị" in client.get("/units").get_data(as_text=True)
    page = client.get("/units?lang=en").get_data(as_text=True)
    assert "Units" in page and 'lang="en"' in page
    assert 'lang="en"' in client.get("/readiness").get_data(as_text=True)  # remembered


def test_security_headers(client):
    r = client.get("/login")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in r.get_data(as_text=True)  # no inline script anywhere


def test_the_setup_admin_on_a_local_domain_can_sign_in(client, make_user, auth):
    """`flask setup` makes admin@giaoban.local: a special-use domain must not block sign-in."""
    admin = make_user("admin", email="admin@giaoban.local")
    r = auth.login(admin)
    assert r.status_code == 302
    assert client.get("/units").status_code == 200
