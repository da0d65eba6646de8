"""Any province: dissolution scoped to the province imported, in either order; departments CSV."""
import pytest
from sqlalchemy import func, select

from models import Unit, db
from models.registry_import import import_units, province_records
from models.units import find_unit


def dissolved_under(city_code: str) -> int:
    """Legacy districts and communes of a legacy province that are dissolved."""
    city = find_unit(f"legacy:{city_code}") or find_unit(f"2025:{city_code}")
    districts = db.session.scalars(select(Unit).where(Unit.parent_id == city.id, Unit.level == "district")).all()
    ids = [d.id for d in districts]
    communes = db.session.scalars(select(Unit).where(Unit.parent_id.in_(ids))).all()
    return sum(u.dissolved_on is not None for u in [*districts, *communes])


def test_every_province_of_the_package_has_records():
    from vietnam_provinces import Province
    from vietnam_provinces.legacy import Province as LegacyProvince
    for p in LegacyProvince.iter_all():
        assert len(province_records(int(p.code), "legacy")) > 1, p.name
    for p in Province.iter_all():
        assert len(province_records(int(p.code), "2025")) > 1, p.name


@pytest.mark.parametrize("order", ["hanoi_first", "da_nang_first"])
def test_importing_da_nang_2025_leaves_hanoi_alone(app, order):
    steps = [(1, "legacy"), (48, "2025"), (48, "legacy"), (49, "legacy")]
    if order == "da_nang_first":
        steps = [(48, "2025"), (49, "legacy"), (1, "legacy"), (48, "legacy")]
    for province, dataset in steps:
        import_units(province, dataset)
    assert dissolved_under("01") == 0, "Hà Nội's legacy units stay in force"
    assert db.session.scalar(select(func.count(Unit.id)).where(
        Unit.dataset == "legacy", Unit.level == "commune", Unit.dissolved_on.is_(None))) == 526
    # Đà Nẵng's and Quảng Nam's legacy units are replaced by the 2025 list of Đà Nẵng.
    da_nang = dissolved_under("48")
    quang_nam = dissolved_under("49")
    assert da_nang > 50 and quang_nam > 200
    assert find_unit("legacy:49").dissolved_on is not None
    assert find_unit("legacy:48") is find_unit("2025:48") and find_unit("2025:48").dissolved_on is None
    # Then Hà Nội moves to 2025: its own 556 units go, Đà Nẵng's stay as they were.
    import_units(1, "2025")
    assert dissolved_under("01") == 526 + 30
    assert (dissolved_under("48"), dissolved_under("49")) == (da_nang, quang_nam)
    assert not import_units(48, "2025").changed


def test_departments_from_a_csv(app, tmp_path):
    path = tmp_path / "so.csv"
    path.write_text("code,division_type,name\nSTC-DN,sở,Sở Tài chính thành phố Đà Nẵng\n", encoding="utf-8")
    result = import_units(48, "2025", departments=path)
    assert result.created["department"] == 1
    assert find_unit("STC-DN").parent is find_unit("2025:48")
