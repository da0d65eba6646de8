"""Loading a province's units from the `vietnam-provinces` package and the departments file."""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .base import db
from .text import nfc, search_key
from .units import DEPARTMENT_DATASET, REFORM_DAY, Unit

DATA_DIR = Path(__file__).parent / "data"
REORGANISED_ON = REFORM_DAY


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: int = 0
    dissolved: int = 0

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or self.updated or self.dissolved)


@dataclass(frozen=True)
class UnitRecord:
    dataset: str
    code: str
    level: str
    division_type: str
    name: str
    parent: tuple[str, str] | None  # (dataset, code)
    legacy_sources: tuple[str, ...] = ()


def _records_legacy(province: int) -> list[UnitRecord]:
    from vietnam_provinces.legacy import District, Province, ProvinceCode, Ward

    p = Province.from_code(ProvinceCode(province))
    city = UnitRecord("legacy", f"{province:02d}", "city", str(p.division_type), p.name, None)
    out = [city]
    for d in District.iter_by_province(ProvinceCode(province)):
        out.append(UnitRecord("legacy", f"{int(d.code):03d}", "district", str(d.division_type),
                              d.name, ("legacy", city.code)))
        for w in Ward.iter_by_district(d.code):
            out.append(UnitRecord("legacy", f"{int(w.code):05d}", "commune", str(w.division_type),
                                  w.name, ("legacy", f"{int(d.code):03d}")))
    return out


def _records_2025(province: int) -> list[UnitRecord]:
    from vietnam_provinces import Province, ProvinceCode, Ward

    p = Province.from_code(ProvinceCode(province))
    city = UnitRecord("2025", f"{province:02d}", "city", str(p.division_type), p.name, None)
    out = [city]
    for w in Ward.iter_by_province(ProvinceCode(province)):
        sources = tuple(f"{int(s.code):05d}" for s in w.get_legacy_sources())
        out.append(UnitRecord("2025", f"{int(w.code):05d}", "commune", str(w.division_type),
                              w.name, ("2025", city.code), sources))
    return out


def department_records(province: int, path: Path | None = None) -> list[UnitRecord]:
    """The city's departments, from the data file the project keeps or the office's CSV.

    The CSV has a header `code,division_type,name` (UTF-8).
    """
    path = path or DATA_DIR / f"departments_{province:02d}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [UnitRecord(DEPARTMENT_DATASET, row["code"], "department", row["division_type"],
                           row["name"], None) for row in csv.DictReader(fh)]


def province_records(province: int, dataset: str) -> list[UnitRecord]:
    if dataset == "legacy":
        return _records_legacy(province)
    if dataset == "2025":
        return _records_2025(province)
    raise ValueError(f"unknown dataset {dataset!r}: use legacy or 2025")


def import_units(province: int, dataset: str,
                 progress: Callable[[Iterable], Iterable] = lambda it: it,
                 departments: Path | None = None) -> ImportResult:
    """Create or refresh a province's units; running it again changes nothing.

    The city is one unit whichever list made it. Importing the 2025 list over the legacy
    one dissolves the legacy districts and communes on 1 July 2025 and links each legacy
    commune to the new communes it went into. Dissolution is scoped to the province: only the
    legacy units the province's 2025 communes come from (and the legacy districts holding
    them, and the legacy city's own districts and communes) are dissolved, in whichever order
    the lists and provinces are imported.
    """
    records = province_records(province, dataset)
    existing = {(u.dataset, u.code): u for u in db.session.scalars(select(Unit))}
    result = ImportResult()
    city_rec = records[0]
    city = next((u for u in existing.values() if u.level == "city" and u.code == city_rec.code), None)
    by_key: dict[tuple[str, str], Unit] = {}
    for rec in progress(records):
        unit = city if rec.level == "city" and city is not None else existing.get((rec.dataset, rec.code))
        parent = None
        if rec.parent is not None:
            parent = by_key.get(rec.parent) or (city if rec.parent[1] == city_rec.code else None)
        if unit is None:
            unit = Unit(dataset=rec.dataset, code=rec.code, level=rec.level,
                        division_type=nfc(rec.division_type), name=nfc(rec.name),
                        search_name=search_key(rec.name), parent=parent)
            db.session.add(unit)
            result.created[rec.level] = result.created.get(rec.level, 0) + 1
        elif unit.name != nfc(rec.name) or unit.division_type != nfc(rec.division_type) or (
                parent is not None and unit.parent_id != parent.id):
            unit.name, unit.division_type = nfc(rec.name), nfc(rec.division_type)
            unit.search_name = search_key(rec.name)
            if parent is not None:
                unit.parent = parent
            result.updated += 1
        by_key[(rec.dataset, rec.code)] = unit
        if rec.level == "city":
            city = unit
    city = by_key[(city_rec.dataset, city_rec.code)]
    for rec in department_records(province, departments):
        if (rec.dataset, rec.code) not in existing:
            db.session.add(Unit(dataset=rec.dataset, code=rec.code, level="department",
                                division_type=nfc(rec.division_type), name=nfc(rec.name),
                                search_name=search_key(rec.name), parent=city))
            result.created["department"] = result.created.get("department", 0) + 1
    db.session.flush()
    if dataset == "2025":
        result.dissolved = _link_successors(records, by_key, _all_units())
    else:
        # The 2025 list of a province already loaded replaces the legacy units just created.
        for code in _provinces_with_2025_units():
            recs = province_records(code, "2025")
            units = _all_units()
            result.dissolved += _link_successors(recs, {(r.dataset, r.code): units.get((r.dataset, r.code))
                                                        for r in recs}, units)
    db.session.commit()
    return result


def _provinces_2025() -> set[int]:
    """Province codes of the 2025 list: those cities survive the reform (as one unit)."""
    from vietnam_provinces import Province

    return {int(p.code) for p in Province.iter_all()}


def _all_units() -> dict[tuple[str, str], Unit]:
    return {(u.dataset, u.code): u for u in db.session.scalars(select(Unit))}


def _provinces_with_2025_units() -> list[int]:
    """The provinces whose 2025 communes are loaded (the city of each 2025 commune)."""
    parent = aliased(Unit)
    codes = db.session.scalars(select(parent.code).join(Unit, Unit.parent_id == parent.id)
                               .where(Unit.dataset == "2025", Unit.level == "commune").distinct())
    return sorted(int(c) for c in codes)


def _link_successors(records: list[UnitRecord], by_key: dict, existing: dict) -> int:
    """Dissolve the legacy units this province's 2025 list replaced; link their successors.

    Replaced: the legacy communes named as sources of the province's new communes, the legacy
    districts holding them, the districts and communes under the legacy city of the same code,
    and a legacy province (city unit) all of whose districts are dissolved (e.g. Quảng Nam,
    merged into Đà Nẵng). Other provinces' units are left alone.
    """
    city_code = records[0].code
    replaced: set[int] = set()
    for rec in records:
        new_unit = by_key.get((rec.dataset, rec.code))
        for code in rec.legacy_sources:
            old = existing.get(("legacy", code))
            if old is None:
                continue
            if new_unit is not None and new_unit not in old.successors:
                old.successors.append(new_unit)
            replaced.add(old.id)
            if old.parent is not None and old.parent.level == "district":
                replaced.add(old.parent_id)
    legacy = [u for (ds, _c), u in existing.items() if ds == "legacy"]
    by_id = {u.id: u for u in existing.values()}
    for unit in legacy:
        if unit.level == "district" and unit.parent is not None and unit.parent.code == city_code:
            replaced.add(unit.id)
        elif unit.level == "commune" and unit.parent is not None and unit.parent.parent is not None \
                and unit.parent.parent.code == city_code:
            replaced.add(unit.id)
    # No district survives the reform: a replaced district's communes end with it.
    replaced |= {u.id for u in legacy if u.level == "commune" and u.parent_id in replaced}
    dissolved = 0
    for unit_id in sorted(replaced):
        unit = by_id[unit_id]
        if unit.dissolved_on is None:
            unit.dissolved_on = REORGANISED_ON
            dissolved += 1
    # A merged legacy province (not the surviving city) ends when all its districts have.
    surviving = _provinces_2025()
    for unit in legacy:
        if unit.level == "city" and int(unit.code) not in surviving and unit.dissolved_on is None:
            districts = [u for u in legacy if u.level == "district" and u.parent_id == unit.id]
            if districts and all(d.dissolved_on is not None for d in districts):
                unit.dissolved_on = REORGANISED_ON
                dissolved += 1
    return dissolved
