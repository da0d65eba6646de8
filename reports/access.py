"""Who reads which figures: admins everything; organisers and viewers their unit's subtree; and,
with several provinces loaded, one province of that (`?province=NN`)."""
from __future__ import annotations

from sqlalchemy import select

from models import Unit, db
from models.errors import N_, Forbidden, ValidationFailed
from models.permissions import can_read_reports
from models.units import in_province, subtree_ids


def report_scope(user, province: str | None = None) -> set[int] | None:
    """The organiser unit ids a user's reports cover (None: all), within `province` (a code such
    as '48') when one is asked for.
    :raise Forbidden: for clerks. :raise ValidationFailed: a province that is not loaded."""
    if user is None or not can_read_reports(user):
        raise Forbidden(N_("You may not read reports."))
    scope = _user_scope(user)
    if not province:
        return scope
    ids = province_ids(province)
    if ids is None:
        raise ValidationFailed({"province": N_("No province with this code is loaded.")})
    return ids if scope is None else scope & ids


def _user_scope(user) -> set[int] | None:
    if user.role == "admin":
        return None
    if user.unit_id is None:
        return set()
    if user.unit is not None and user.unit.parent_id is None:
        return None  # the city: everything lies below it
    return subtree_ids(user.unit_id)


def _cities(code: str) -> list[Unit]:
    text = str(code).strip()
    if not text.isdigit() or len(text) > 3:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.level == "city", Unit.code == f"{int(text):02d}")))


def province_ids(code: str) -> set[int] | None:
    """Every unit of the province with this code, under each of its city units (a province
    imported on both lists has two), or None when none is loaded."""
    cities = _cities(code)
    if not cities:
        return None
    ids: set[int] = set()
    for city in cities:
        ids.update(db.session.scalars(select(Unit.id).where(in_province(city.id))))
    return ids


def report_provinces(user) -> list[tuple[str, str]]:
    """(code, name) of the provinces a user's reports can be narrowed to: more than one only for
    someone whose scope spans several (an admin, with several provinces loaded)."""
    scope = _user_scope(user)
    cities = db.session.scalars(select(Unit).where(Unit.level == "city").order_by(Unit.code, Unit.id))
    found: dict[str, str] = {}
    for city in cities:
        if scope is None or city.id in scope:
            found.setdefault(city.code, city.name)
    return sorted(found.items())
