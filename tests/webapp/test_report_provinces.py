"""Reports per province (#18): an admin with several provinces loaded picks one; the figures,
files, API and roll-up then cover that province only; an unknown province is refused by name."""
from __future__ import annotations

import pytest

from tests.booking_data import local


@pytest.fixture
def two_provinces(hanoi, make_unit, make_meeting):
    """Hà Nội (01) and Đà Nẵng (48), each with a meeting held online in March 2019."""
    da_nang = make_unit("city", "48", name="Thành phố Đà Nẵng")
    hai_chau = make_unit("district", "490", da_nang, "Quận Hải Châu")
    make_unit("commune", "20194", hai_chau, "Phường Thạch Thang")
    make_meeting(hanoi["ba_dinh"], local(2019, 3, 5, 8), status="held", outcome_mode="online")
    make_meeting(hai_chau, local(2019, 3, 6, 8), status="held", outcome_mode="online")
    make_meeting(hai_chau, local(2019, 3, 7, 8), status="held", outcome_mode="in_person")
    return {"da_nang": da_nang, "hai_chau": hai_chau}


def _organisers(report: dict) -> dict[str, int]:
    return {o["unit"]: o["held"] for o in report["organizers"] if o["held"]}


def test_the_api_narrows_the_report_and_the_rollup_to_a_province(client, make_user, token_for, two_provinces):
    headers = token_for(make_user("admin"))
    every = client.get("/api/v1/reports/online-ratio?period=2019-03", headers=headers).json
    assert _organisers(every) == {"legacy:001": 1, "legacy:490": 2}
    da_nang = client.get("/api/v1/reports/online-ratio?period=2019-03&province=48", headers=headers)
    assert da_nang.status_code == 200 and _organisers(da_nang.json) == {"legacy:490": 2}
    hanoi = client.get("/api/v1/reports/online-ratio?period=2019-03&province=1", headers=headers).json
    assert _organisers(hanoi) == {"legacy:001": 1}
    rollup = client.get("/api/v1/reports/online-ratio/as-of-today?period=2019-03&province=48",
                        headers=headers).json
    assert {r["unit"] for r in rollup["rows"]} == {"legacy:490"} and rollup["total"]["held"] == 2


@pytest.mark.parametrize("url", ["/api/v1/reports/online-ratio?period=2019-03&province=99",
                                 "/api/v1/reports/online-ratio/as-of-today?period=2019-03&province=99",
                                 "/api/v1/reports/online-ratio?period=2019-03&province=abcd"])
def test_an_unknown_province_is_422_naming_the_field(client, make_user, token_for, two_provinces, url):
    r = client.get(url, headers=token_for(make_user("admin")))
    assert r.status_code == 422 and "province" in r.json["error"]["details"]


def test_the_page_offers_the_provinces_and_shows_the_one_picked(client, auth, make_user, two_provinces):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert 'data-testid="province-select"' in page and "Thành phố Đà Nẵng" in page
    picked = client.get("/reports/online-ratio?period=2019-03&province=48")
    html = picked.get_data(as_text=True)
    assert picked.status_code == 200 and "Quận Hải Châu" in html and "Quận Ba Đình" not in html
    assert "/reports/online-ratio/download?province=48&amp;period=2019-03" in html
    csv = client.get("/reports/online-ratio/download?province=48&period=2019-03&format=csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.status_code == 200 and "Quận Hải Châu" in text and "Quận Ba Đình" not in text
    assert client.get("/reports/online-ratio?period=2019-03&province=99").status_code == 400
    assert client.get("/reports/online-ratio/as-of-today?period=2019-03&province=99").status_code == 400


def test_one_province_loaded_offers_no_selector(client, auth, make_user, hanoi):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert 'data-testid="province-select"' not in page
