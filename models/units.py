"""Administrative units: the city, its departments, districts and communes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint, and_, or_, select
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
    if not ref:
        return None
    if ":" in ref:
        dataset, code = ref.split(":", 1)
        unit = db.session.scalar(select(Unit).where(Unit.dataset == dataset, Unit.code == code))
        if unit is None and dataset in DATASETS and len(code) == 2:
            # The province is one unit whichever list created it.
            unit = db.session.scalar(select(Unit).where(Unit.level == "city", Unit.code == code))
        return unit
    return db.session.scalar(
        select(Unit).where(Unit.dataset == DEPARTMENT_DATASET, Unit.code == ref)
    )


def find_units(refs: list[str]) -> dict[str, Unit | None]:
    """`find_unit` for many references at once: one query for all of them (a reference it does
    not find, such as a province named by another list's code, is looked up by `find_unit`)."""
    wanted = {ref: ref.strip() for ref in refs}
    pairs = {(r.split(":", 1)[0], r.split(":", 1)[1]) if ":" in r else (DEPARTMENT_DATASET, r)
             for r in wanted.values() if r}
    found: dict[tuple[str, str], Unit] = {}
    pairs_list = sorted(pairs)
    for i in range(0, len(pairs_list), 400):
        chunk = pairs_list[i:i + 400]
        for unit in db.session.scalars(select(Unit).where(
                or_(*(and_(Unit.dataset == d, Unit.code == c) for d, c in chunk)))):
            found[(unit.dataset, unit.code)] = unit
    out: dict[str, Unit | None] = {}
    for ref, clean in wanted.items():
        key = ((clean.split(":", 1)[0], clean.split(":", 1)[1]) if ":" in clean
               else (DEPARTMENT_DATASET, clean))
        out[ref] = found.get(key) if clean else None
        if out[ref] is None and clean:
            out[ref] = find_unit(clean)
    return out


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
