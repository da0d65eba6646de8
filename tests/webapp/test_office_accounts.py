"""Accounts run by the city office: create with a one-time link, change, deactivate, provision
by CSV, the communes with no clerk, the password policy, and one's own API tokens."""
import io
import re

import pytest
from sqlalchemy import select

from models import User, db
from models.accounts import (
    account_for_password_token,
    change_password,
    password_link_token,
    password_problem,
    provision,
    search_accounts,
)
from models.audit import AuditLog
from models.errors import NotFound, ValidationFailed
from models.users import ApiToken
from tests.fixtures.web import AuthActions

SECRET = "test-secret"


def _link(page: str) -> str:
    return re.search(r'data-testid="password-link" readonly value="http://[^/]+(/password/[^"]+)"', page).group(1)


def test_admin_creates_an_account_and_its_owner_sets_a_password_once(web_app, make_user, hanoi):
    admin_client = web_app.test_client()
    auth = AuthActions(admin_client)
    auth.login(make_user("admin"))
    response = admin_client.post("/admin/accounts/new", data={
        "email": "VanThu.PhucXa@HaNoi.gov.vn", "name": "Nguyễn Thị Thu", "role": "clerk", "unit": "legacy:00001",
        "csrf_token": auth.csrf("/admin/accounts/new")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "correct horse" not in page
    user = db.session.scalar(select(User).where(User.email == "vanthu.phucxa@hanoi.gov.vn"))
    assert (user.role, user.unit_id, user.password_hash) == ("clerk", hanoi["phuc_xa"].id, None)
    link = _link(page)
    owner = web_app.test_client()
    csrf = AuthActions(owner).csrf(link)
    weak = owner.post(link, data={"password": "password1", "again": "password1", "csrf_token": csrf})
    assert weak.status_code == 400 and "quá phổ biến" in weak.get_data(as_text=True)
    done = owner.post(link, data={"password": "mây trắng bay qua", "again": "mây trắng bay qua", "csrf_token": csrf})
    assert done.status_code == 302
    assert owner.get(link).status_code == 404  # used once
    AuthActions(owner).login(user, "mây trắng bay qua")
    assert owner.get("/my-unit").status_code == 200
    assert "password" in [r.action for r in db.session.scalars(select(AuditLog).where(AuditLog.entity_id == user.id))]


def test_the_link_expires_and_is_bound_to_the_password(app, make_user):
    user = make_user("clerk")
    token = password_link_token(SECRET, user)
    assert account_for_password_token(SECRET, token, 60).id == user.id
    with pytest.raises(NotFound):
        account_for_password_token(SECRET, token, -1)
    with pytest.raises(NotFound):
        account_for_password_token("other", token, 60)
    change_password(user, "một câu thật dài", user)
    with pytest.raises(NotFound):
        account_for_password_token(SECRET, token, 60)


def test_the_password_policy_follows_nist():
    assert password_problem("a", "viewer")
    assert password_problem("12345678", "viewer")  # common
    assert password_problem("qwertyuiop", "viewer")
    assert password_problem("abcd efgh", "admin")  # admins need 12
    assert password_problem("x" * 129, "viewer")
    assert password_problem("lan.anh@hn.vn", "viewer", "lan.anh@hn.vn")
    assert password_problem("sông hồng xanh", "admin") is None
    assert password_problem("tím hoa sim", "viewer") is None  # no composition rules
    with pytest.raises(ValidationFailed):
        change_password(User(email="x@hn.vn", role="viewer"), "a", None)


def test_deactivating_ends_sessions_and_tokens(web_app, make_user, token_for, hanoi):
    admin_client = web_app.test_client()
    auth = AuthActions(admin_client)
    admin = make_user("admin")
    auth.login(admin)
    clerk = make_user("clerk", hanoi["phuc_xa"])
    headers = token_for(clerk)
    clerk_client = web_app.test_client()
    AuthActions(clerk_client).login(clerk)
    assert clerk_client.get("/my-unit").status_code == 200
    admin_client.post(f"/admin/accounts/{clerk.id}/active", data={"enabled": "0", "csrf_token": auth.csrf("/units")})
    assert clerk_client.get("/my-unit").status_code == 302
    assert clerk_client.get("/api/v1/bridges", headers=headers).status_code == 401
    assert AuthActions(clerk_client).login(clerk).status_code == 200  # refused: the form again
    admin_client.post(f"/admin/accounts/{clerk.id}/active", data={"enabled": "1", "csrf_token": auth.csrf("/units")})
    assert clerk_client.get("/api/v1/bridges", headers=headers).status_code == 200
    # an admin cannot lock themself out
    admin_client.post(f"/admin/accounts/{admin.id}/active", data={"enabled": "0", "csrf_token": auth.csrf("/units")})
    db.session.refresh(admin)
    assert admin.is_enabled


def test_role_and_scope_change(client, auth, make_user, hanoi):
    auth.login(make_user("admin"))
    viewer = make_user("viewer", hanoi["ba_dinh"])
    data = {"role": "organizer", "unit": "legacy:002", "name": "Trần Văn Bình", "csrf_token": auth.csrf("/units")}
    response = client.post(f"/admin/accounts/{viewer.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(viewer)
    assert (viewer.role, viewer.unit_id, viewer.name) == ("organizer", hanoi["hoan_kiem"].id, "Trần Văn Bình")
    bad = client.post(f"/admin/accounts/{viewer.id}", data={"role": "clerk", "unit": "nowhere",
                                                            "csrf_token": auth.csrf("/units")})
    assert bad.status_code == 400
    db.session.refresh(viewer)
    assert viewer.role == "organizer"


def test_search_is_diacritic_insensitive_and_filters(app, make_user, hanoi):
    a = make_user("clerk", hanoi["phuc_xa"])
    a.name = "Lê Thị Hoà"
    b = make_user("viewer", hanoi["ba_dinh"])
    db.session.commit()
    assert search_accounts("le thi hoa") == [a]
    assert search_accounts("phuc xa") == [a]
    assert search_accounts("", role="viewer") == [b]
    assert search_accounts("", unit=hanoi["ba_dinh"]) == [b]
    assert search_accounts(b.email.upper()) == [b]


def test_bulk_provisioning_reports_each_row(client, auth, make_user, hanoi):
    admin = make_user("admin")
    existing = make_user("viewer", hanoi["ba_dinh"], email="cu@hn.vn")
    text = ("email,name,unit,role\n"
            "vt.phucxa@hn.vn,Nguyễn Văn An,legacy:00001,clerk\n"
            "cu@hn.vn,Người Cũ,legacy:001,organizer\n"
            "khong-phai-email,Ai Đó,legacy:00001,clerk\n"
            "vt.x@hn.vn,Ai Đó,legacy:99999,clerk\n"
            "vt.y@hn.vn,Ai Đó,legacy:00001,boss\n"
            "thieu@hn.vn,Thiếu cột\n")
    results = provision(text, admin)
    assert [(r.line, r.status) for r in results] == [(2, "created"), (3, "updated"), (4, "refused"),
                                                     (5, "refused"), (6, "refused"), (7, "refused")]
    db.session.refresh(existing)
    assert existing.role == "organizer" and existing.name == "Người Cũ"
    assert db.session.scalar(select(User).where(User.email == "vt.x@hn.vn")) is None
    assert provision("vt.phucxa@hn.vn,Nguyễn Văn An,legacy:00001,clerk\n", admin)[0].status == "unchanged"
    auth.login(admin)
    data = {"file": (io.BytesIO("\ufeffemail,name,unit,role\nvt.dongxuan@hn.vn,Phạm Thu,legacy:00040,clerk\n"
                                "x,y,legacy:00001,clerk\n".encode()), "clerks.csv"),
            "csrf_token": auth.csrf("/admin/accounts/import")}
    page = client.post("/admin/accounts/import", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "Đã tạo" in page and "Từ chối" in page and 'data-testid="link-vt.dongxuan@hn.vn"' in page


def test_export_of_communes_with_no_clerk(client, auth, make_user, hanoi):
    make_user("clerk", hanoi["phuc_xa"])
    auth.login(make_user("admin"))
    body = client.get("/admin/accounts/communes-without-clerk.csv").get_data(as_text=True)
    assert "legacy:00040" in body and "legacy:00001" not in body


def test_only_admins_manage_accounts(client, auth, make_user, hanoi):
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    assert client.get("/admin/accounts").status_code == 403
    assert client.get("/admin/accounts/new").status_code == 403


def test_own_api_tokens_are_shown_once_and_revocable(client, auth, make_user):
    user = make_user("viewer")
    auth.login(user)
    page = client.post("/me/tokens", data={"name": "Máy chủ báo cáo", "csrf_token": auth.csrf("/me/tokens")})
    token = re.search(r'data-testid="new-token" readonly value="([^"]+)"', page.get_data(as_text=True)).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.name == "Máy chủ báo cáo" and token not in (row.token_hash,)
    assert token not in client.get("/me/tokens").get_data(as_text=True)
    assert client.get("/api/v1/bridges", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    db.session.refresh(row)
    assert row.last_used_at is not None
    other = make_user("viewer")
    other_row = ApiToken(user=other, token_hash="0" * 64)
    db.session.add(other_row)
    db.session.commit()
    refused = client.post(f"/me/tokens/{other_row.id}/revoke", data={"csrf_token": auth.csrf("/me/tokens")})
    assert refused.status_code == 404
    client.post(f"/me/tokens/{row.id}/revoke", data={"csrf_token": auth.csrf("/me/tokens")})
    assert client.get("/api/v1/bridges", headers={"Authorization": f"Bearer {token}"}).status_code == 401
