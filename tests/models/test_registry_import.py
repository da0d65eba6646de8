"""Importing Hanoi from vietnam-provinces: counts, idempotence, succession."""
from sqlalchemy import func, select

from models import Unit, db
from models.registry_import import import_units
from models.units import find_unit


def count(level: str, dataset: str | None = None, active: bool | None = None) -> int:
    stmt = select(func.count(Unit.id)).where(Unit.level == level)
    if dataset:
        stmt = stmt.where(Unit.dataset == dataset)
    if active is not None:
        stmt = stmt.where(Unit.dissolved_on.is_(None) if active else Unit.dissolved_on.is_not(None))
    return db.session.scalar(stmt)


def test_legacy_import_counts(app):
    result = import_units(1, "legacy")
    assert result.created == {"city": 1, "district": 30, "commune": 526, "department": 22}
    assert count("district") == 30 and count("commune") == 526 and count("city") == 1
    ba_dinh = find_unit("legacy:001")
    assert ba_dinh.name == "Quận Ba Đình" and ba_dinh.level == "district"
    phuc_xa = find_unit("legacy:00001")
    assert phuc_xa.name == "Phường Phúc Xá" and phuc_xa.parent is ba_dinh
    assert phuc_xa.division_type == "phường"
    assert find_unit("STTTT").parent is find_unit("legacy:01")


def test_second_import_changes_nothing(app, runner):
    import_units(1, "legacy")
    again = import_units(1, "legacy")
    assert not again.changed
    out = runner.invoke(args=["units", "import", "--province", "01", "--dataset", "legacy"])
    assert out.exit_code == 0
    assert "Nothing changed" in out.output
    assert db.session.scalar(select(func.count(Unit.id))) == 1 + 30 + 526 + 22


def test_2025_import_counts_and_succession(app):
    import_units(1, "legacy")
    result = import_units(1, "2025")
    assert result.created == {"commune": 126}
    assert count("commune", "2025") == 126
    assert count("city") == 1, "the city is one unit whichever list made it"
    # The legacy units stay, dissolved, with their history and their successors.
    assert count("commune", "legacy", active=False) == 526
    assert count("district", "legacy", active=False) == 30
    truc_bach = find_unit("legacy:00004")
    assert truc_bach.dissolved_on.isoformat() == "2025-07-01"
    assert "Phường Ba Đình" in [s.name for s in truc_bach.successors]
    # Codes are reused between lists for different units: the dataset tells them apart.
    assert find_unit("2025:00004").name == "Phường Ba Đình"
    assert find_unit("legacy:00004").name == "Phường Trúc Bạch"
    assert not import_units(1, "2025").changed


def test_2025_alone(app, runner):
    out = runner.invoke(args=["units", "import", "--dataset", "2025"])
    assert out.exit_code == 0, out.output
    assert count("commune") == 126 and count("district") == 0
