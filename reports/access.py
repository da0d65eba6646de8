"""Who reads which figures: admins everything; organisers and viewers their unit's subtree."""
from __future__ import annotations

from models.errors import N_, Forbidden
from models.permissions import can_read_reports
from models.units import subtree_ids


def report_scope(user) -> set[int] | None:
    """The organiser unit ids a user's reports cover (None: all). :raise Forbidden: for clerks."""
    if user is None or not can_read_reports(user):
        raise Forbidden(N_("You may not read reports."))
    if user.role == "admin":
        return None
    if user.unit_id is None:
        return set()
    if user.unit is not None and user.unit.parent_id is None:
        return None  # the city: everything lies below it
    return subtree_ids(user.unit_id)
