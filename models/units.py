"""Administrative units: the city, its departments, districts and communes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint, and_, or_, select, tuple_
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from .base import UTCDateTime, db, utcnow

LEVELS = ("city", "department", "district", "commune")
#: a unit reference as the API and forms take it (`legacy:00001`, `2025:00004`, `STTTT`)
REF_MAX = 64
DEPARTMENT_DATASET = "dept"
DATASETS = ("legacy", "2025")
REFORM_DAY = date(2025, 7, 1)  # the two-level structure takes effect
#: the first day a list's units are in force (a list not named here: always)
ESTABLISHED_ON = {"2025": REFORM_DAY}



def unit_ref(dataset: str, code: str) -> str:
    """A unit's reference from its list and code: 'legacy:001', or a department's own code."""
    if dataset == DEPARTMENT_DATASET:
        return code
    return f"{dataset}:{code}"


unit_successions = Table(
    "unit_successions",
    db.metadata,
    Column("predecessor_id", ForeignKey("units.id"), primary_key=True),
    Column("successor_id", ForeignKey("units.id"), primary_key=True),
)


class Unit(db.Model):
    """A unit. Never deleted: a dissolved one keeps its history and names its successors."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("dataset", "code"),
        Index("ix_units_parent_level", "parent_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), index=True)
    division_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    dissolved_on: Mapped[date | None] = mapped_column(Date)
    contact_emails: Mapped[str | None] = mapped_column(Text)  # one address a line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.code")
    successors: Mapped[list[Unit]] = relationship(
        secondary=unit_successions,
        primaryjoin=lambda: Unit.id == unit_successions.c.predecessor_id,
        secondaryjoin=lambda: Unit.id == unit_successions.c.successor_id,
        back_populates="predecessors",
    )
    predecessors: Mapped[list[Unit]] = relationship(
        secondary=unit_successions,
        primaryjoin=lambda: Unit.id == unit_successions.c.successor_id,
        secondaryjoin=lambda: Unit.id == unit_successions.c.predecessor_id,
        back_populates="successors",
    )

    @property
    def ref(self) -> str:
        """The unit as the API names it: 'legacy:001', or a department's own code."""
        return unit_ref(self.dataset, self.code)

    @property
    def active(self) -> bool:
        return self.dissolved_on is None

    def in_force_on(self, day: date) -> bool:
        """The unit existed on `day` (a local date): its list had taken effect, not yet dissolved."""
        since = ESTABLISHED_ON.get(self.dataset)
        return (since is None or day >= since) and (self.dissolved_on is None or self.dissolved_on > day)

    def __repr__(self) -> str:
        return f"<Unit {self.ref} {self.name}>"


def province_of(unit: Unit) -> Unit:
    """The province (its city unit) a unit belongs to: the root of its tree."""
    while unit.parent is not None:
        unit = unit.parent
    return unit


def find_province(code: str | int | None) -> Unit | None:
    """The province's city unit by its code ('01', '1' or 1 for Hà Nội), or None."""
    text = str(code or "").strip()
    if not text.isdigit() or len(text) > 3:
        return None
    return db.session.scalar(select(Unit).where(Unit.level == "city", Unit.code == f"{int(text):02d}")
                             .order_by(Unit.id))


def in_province(city_id: int):
    """SQL: the unit is the province's city or lies below it (departments, districts, communes)."""
    parent = aliased(Unit)
    return or_(Unit.id == city_id, Unit.parent_id == city_id,
               Unit.parent_id.in_(select(parent.id).where(parent.parent_id == city_id)))


def in_force(day: date):
    """SQL: the same rule as `Unit.in_force_on(day)`."""
    conditions = [or_(Unit.dissolved_on.is_(None), Unit.dissolved_on > day)]
    conditions += [Unit.dataset != dataset for dataset, since in ESTABLISHED_ON.items() if day < since]
    return and_(*conditions)


def find_unit(ref: str) -> Unit | None:
    """The unit a reference names ('legacy:00001', '2025:00004', a department code, or the city)."""
    ref = (ref or "").strip()
    return find_units([ref]).get(ref) if ref else None


#: (dataset, code) pairs per statement: two bound values each, within SQLite's 999
_PAIRS_PER_QUERY = 400


def find_units(refs) -> dict[str, Unit]:
    """The units these references name, keyed by the reference as given (stripped), in a
    statement per 400 references (plus one for city codes under a list's prefix), never one per
    reference; a reference that names no unit is absent. Same rules as `find_unit`."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for ref in {(r or "").strip() for r in refs} - {""}:
        dataset, code = ref.split(":", 1) if ":" in ref else (DEPARTMENT_DATASET, ref)
        wanted.setdefault((dataset, code), []).append(ref)
    found: dict[str, Unit] = {}
    pairs = list(wanted)
    for i in range(0, len(pairs), _PAIRS_PER_QUERY):
        chunk = pairs[i:i + _PAIRS_PER_QUERY]
        for unit in db.session.scalars(select(Unit).where(tuple_(Unit.dataset, Unit.code).in_(chunk))):
            for ref in wanted.get((unit.dataset, unit.code), ()):
                found[ref] = unit
    # The province is one unit whichever list created it: 'legacy:01' and '2025:01' name it.
    cities = {code: refs_ for (dataset, code), refs_ in wanted.items()
              if dataset in DATASETS and len(code) == 2 and not any(r in found for r in refs_)}
    if cities:
        for unit in db.session.scalars(select(Unit).where(Unit.level == "city", Unit.code.in_(cities))):
            for ref in cities[unit.code]:
                found.setdefault(ref, unit)
    return found


def subtree_ids(unit_id: int) -> set[int]:
    """The ids of a unit and every unit below it (at most three levels)."""
    ids = {unit_id}
    frontier = {unit_id}
    while frontier:
        frontier = set(db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        frontier -= ids
        ids |= frontier
    return ids


def is_within(unit: Unit, ancestor: Unit) -> bool:
    """True when `unit` is `ancestor` or lies below it."""
    node: Unit | None = unit
    while node is not None:
        if node.id == ancestor.id:
            return True
        node = node.parent
    return False
