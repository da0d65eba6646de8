"""Several provinces loaded: search and the booking's group selectors stay within one province."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Unit, db
from models.registry import units_query
from models.units import find_province, in_province, province_of
from scheduler.participants import resolve_participants


@pytest.fixture
def two_provinces(make_unit):
    hn = make_unit("city", "01", name="Thành phố Hà Nội")
    ba_dinh = make_unit("district", "001", hn, "Quận Ba Đình")
    hn_units = [hn, ba_dinh, make_unit("commune", "00001", ba_dinh, "Phường Phúc Xá"),
                make_unit("commune", "00004", hn, "Phường Ba Đình", dataset="2025"),
                make_unit("department", "STTTT", hn, "Sở Thông tin và Truyền thông")]
    dn = make_unit("city", "48", name="Thành phố Đà Nẵng", dataset="2025")
    dn_units = [dn, make_unit("commune", "20194", dn, "Phường Hải Châu", dataset="2025"),
                make_unit("commune", "20197", dn, "Phường Hòa Cường", dataset="2025")]
    return {"hn": hn, "dn": dn, "hn_units": hn_units, "dn_units": dn_units}


def test_a_province_is_its_city_and_everything_below_it(two_provinces):
    hn, dn = two_provinces["hn"], two_provinces["dn"]
    assert find_province("1") is hn and find_province(48) is dn and find_province("x") is None
    assert set(db.session.scalars(select(Unit.id).where(in_province(hn.id)))) == \
        {u.id for u in two_provinces["hn_units"]}
    assert all(province_of(u) is dn for u in two_provinces["dn_units"])


def test_search_covers_the_province_asked_for(two_provinces):
    everywhere = {u.name for u in db.session.scalars(units_query("phuong"))}
    assert everywhere == {"Phường Phúc Xá", "Phường Ba Đình", "Phường Hải Châu", "Phường Hòa Cường"}
    assert {u.name for u in db.session.scalars(units_query("phuong", province=two_provinces["dn"]))} == \
        {"Phường Hải Châu", "Phường Hòa Cường"}


def test_group_selectors_stay_in_the_organisers_province(two_provinces):
    hn, dn = two_provinces["hn"], two_provinces["dn"]
    communes = resolve_participants(["all:communes"], organizer=hn)
    assert {u.name for u in communes} == {"Phường Phúc Xá", "Phường Ba Đình"}
    assert {u.name for u in resolve_participants(["all:communes"], organizer=dn)} == \
        {"Phường Hải Châu", "Phường Hòa Cường"}
    assert {u.code for u in resolve_participants(["all:departments"], organizer=dn)} == set()
    # a unit named by its code may still be invited across provinces
    assert {u.name for u in resolve_participants(["2025:20194"], organizer=hn)} == {"Phường Hải Châu"}


def test_the_search_page_defaults_to_the_users_province(two_provinces, client, auth, make_user):
    auth.login(make_user("organizer", two_provinces["dn"]))
    page = client.get("/units?q=phuong").get_data(as_text=True)
    assert "Phường Hải Châu" in page and "Phường Phúc Xá" not in page
    page = client.get("/units?q=phuong&province=01").get_data(as_text=True)
    assert "Phường Phúc Xá" in page and "Phường Hải Châu" not in page
