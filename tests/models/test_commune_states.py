"""Each commune's readiness state and reason, hand-worked, and the pages and files built on it."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from models import Endpoint, db
from models.base import LOCAL, utcnow
from models.readiness import commune_states, readiness


def _endpoint(unit, status="ready", checked_days_ago=None, passed=True, now=None):
    e = Endpoint(unit=unit, name=f"Điểm cầu {unit.name}", kind="room_system", status=status,
                 address=f"sip:{unit.code}@hn.vn")
    if checked_days_ago is not None:
        e.last_check_at = now - timedelta(days=checked_days_ago)
        e.last_check_passed = passed
    db.session.add(e)
    return e


@pytest.fixture
def world(hanoi):
    """Six communes, one per reason, worked out by hand (max age 30 days)."""
    now = utcnow().replace(microsecond=0)
    _endpoint(hanoi["phuc_xa"], "ready", 2, True, now)                 # ready
    _endpoint(hanoi["phuc_xa"], "faulty", 1, False, now)               # ...a broken second one too
    _endpoint(hanoi["truc_bach"], "retired", 1, True, now)             # no endpoint (only retired)
    _endpoint(hanoi["vinh_phuc"], "faulty", None, True, now)           # faulty
    _endpoint(hanoi["phuc_tan"], "installed", 40, True, now)           # stale since 10 days ago
    _endpoint(hanoi["dong_xuan"], "planned", None, True, now)          # never checked
    _endpoint(hanoi["hang_ma"], "installed", 45, True, now)            # stale, but the latest
    _endpoint(hanoi["hang_ma"], "installed", 3, False, now)            # ...check failed: faulty
    db.session.commit()
    return now, {"phuc_xa": "ready", "truc_bach": "no_endpoint", "vinh_phuc": "faulty",
                 "phuc_tan": "stale", "dong_xuan": "unchecked", "hang_ma": "faulty"}


def test_each_commune_has_its_hand_worked_state(hanoi, world):
    now, expected = world
    got = {s.unit.id: s for s in commune_states(now, 30)}
    assert {key: got[hanoi[key].id].state for key in expected} == expected
    assert got[hanoi["phuc_tan"].id].since == now - timedelta(days=10)
    assert got[hanoi["phuc_tan"].id].last_check_at == now - timedelta(days=40)
    assert all(got[hanoi[k].id].since is None for k in expected if k != "phuc_tan")
    # the same rule as the dashboard's counts
    overall, districts = readiness(now, 30)
    assert overall.ready == sum(s.state == "ready" for s in got.values()) == 1
    by_district = commune_states(now, 30, hanoi["hoan_kiem"])
    assert [s.unit.name for s in by_district] == ["Phường Đồng Xuân", "Phường Hàng Mã", "Phường Phúc Tân"]
    not_ready = commune_states(now, 30, not_ready_only=True)
    assert {s.unit.id for s in not_ready} == {hanoi[k].id for k, v in expected.items() if v != "ready"}


def test_a_longer_allowed_age_turns_the_stale_commune_ready(hanoi, world):
    now, _ = world
    got = {s.unit.id: s.state for s in commune_states(now, 40)}
    assert got[hanoi["phuc_tan"].id] == "ready" and got[hanoi["hang_ma"].id] == "faulty"


def test_the_dashboard_leads_to_a_district_and_to_the_list(client, auth, make_user, hanoi, world):
    auth.login(make_user("viewer", hanoi["city"]))
    page = client.get("/readiness").get_data(as_text=True)
    assert f'href="/readiness/districts/{hanoi["ba_dinh"].ref}"' in page
    assert 'href="/readiness/not-ready"' in page
    district = client.get(f"/readiness/districts/{hanoi['ba_dinh'].ref}?lang=en").get_data(as_text=True)
    assert "Phường Trúc Bạch" in district and "Phường Hàng Mã" not in district
    assert 'data-state="no_endpoint"' in district and 'data-state="ready"' in district
    assert client.get(f"/readiness/districts/{hanoi['phuc_xa'].ref}").status_code == 404
    listing = client.get("/readiness/not-ready").get_data(as_text=True)
    stale_since = (world[0] - timedelta(days=10)).astimezone(LOCAL).strftime("%d/%m/%Y")
    assert f"Check stale since {stale_since}" in listing
    assert "Phường Phúc Xá" not in listing and listing.count("data-state=") == 5


def test_the_not_ready_list_exports_as_csv_and_xlsx(client, auth, make_user, hanoi, world):
    auth.login(make_user("viewer", hanoi["city"]))
    r = client.get("/readiness/not-ready?format=csv&lang=vi")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    communes = {row[1] for row in rows[2:]}
    assert communes == {"Phường Trúc Bạch", "Phường Vĩnh Phúc", "Phường Phúc Tân", "Phường Đồng Xuân",
                        "Phường Hàng Mã"}
    x = client.get("/readiness/not-ready?format=xlsx")
    ws = load_workbook(io.BytesIO(x.data)).active
    assert {ws.cell(r, 2).value for r in range(4, ws.max_row + 1)} == communes
    assert client.get("/readiness/not-ready?format=pdf").status_code == 400


def test_a_formula_in_a_name_stays_text(client, auth, make_user, make_unit, hanoi):
    make_unit("commune", "09999", hanoi["ba_dinh"], "=HYPERLINK(\"http://x\")")
    auth.login(make_user("viewer", hanoi["city"]))
    body = client.get("/readiness/not-ready?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    ws = load_workbook(io.BytesIO(client.get("/readiness/not-ready?format=xlsx").data)).active
    cells = [ws.cell(r, 2) for r in range(4, ws.max_row + 1)]
    assert any(c.value.startswith("=HYPERLINK") and c.data_type == "s" for c in cells)
