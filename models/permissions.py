"""Who may do what: roles and scopes from SPEC, as plain predicates on a user and a unit.

Choices where SPEC is silent (see docs/ARCHITECTURE.md): every signed-in user may read the
registry and readiness; only admins add or edit endpoints and bridges; a clerk and an admin
log checks; meetings and feeds are visible to those whose scope holds the unit.
"""
from __future__ import annotations

from sqlalchemy import exists, inspect, select

from .base import db
from .meetings import Invitation
from .units import Unit, is_within, subtree_ids
from .users import User


def in_scope(user: User, unit: Unit) -> bool:
    """The unit lies within the user's scope (admins: everything)."""
    if user.role == "admin":
        return True
    if user.unit is None:
        return False
    if user.role == "clerk":
        return unit.id == user.unit_id
    return is_within(unit, user.unit)


def can_manage_endpoints(user: User, unit: Unit) -> bool:
    return user.role == "admin"


def can_log_check(user: User, unit: Unit) -> bool:
    return user.role == "admin" or (user.role == "clerk" and user.unit_id == unit.id)


def can_organize_for(user: User, organizer: Unit) -> bool:
    """Book, change, cancel and record outcomes of meetings organised by `organizer`."""
    return user.role == "admin" or (user.role == "organizer" and in_scope(user, organizer))


def can_respond_for(user: User, unit: Unit) -> bool:
    return user.role == "admin" or (user.role == "clerk" and user.unit_id == unit.id)


def can_see_unit_meetings(user: User, unit: Unit) -> bool:
    """See a unit's meetings and its calendar feed."""
    return in_scope(user, unit)


def can_renew_unit_feed(user: User, unit: Unit) -> bool:
    """Renew (revoke and replace) a unit's feed address: its clerks, organisers whose scope holds
    it, and admins. Reading the address stays `can_see_unit_meetings`: a viewer may read it but
    not cut off everyone who subscribed."""
    if user.role == "admin":
        return True
    if user.role == "clerk":
        return user.unit_id == unit.id
    return user.role == "organizer" and in_scope(user, unit)


def can_read_reports(user: User) -> bool:
    return user.role in ("admin", "organizer", "viewer")


def can_manage_bridges(user: User) -> bool:
    return user.role == "admin"


def can_see_meeting(user: User, meeting) -> bool:
    """Admins; anyone whose scope holds the organiser or one of the invited units.

    The invitations are asked of the database (one EXISTS) unless the session already holds
    them: a city-wide briefing has 556, which a page would otherwise load to check one."""
    if user.role == "admin":
        return True
    if in_scope(user, meeting.organizer):
        return True
    if meeting.id is None or "invitations" not in inspect(meeting).unloaded:
        return any(in_scope(user, inv.unit) for inv in meeting.invitations)
    scope = visible_unit_ids(user)
    if not scope:
        return False
    return bool(db.session.scalar(select(exists().where(
        Invitation.meeting_id == meeting.id, Invitation.unit_id.in_(sorted(scope))))))


def visible_unit_ids(user: User) -> set[int] | None:
    """The units whose meetings concern the user (a clerk's unit, a scope's subtree); None: all (admin)."""
    if user.role == "admin":
        return None
    if user.unit is None:
        return set()
    if user.role == "clerk":
        return {user.unit_id}
    return subtree_ids(user.unit_id)


# --- follow-up (minutes, conclusions notice, tasks) ---------------------------------------

def can_manage_followup(user: User, meeting) -> bool:
    """Write and publish a meeting's minutes and conclusions: those who organise it."""
    return can_organize_for(user, meeting.organizer)


def can_update_task(user: User, task) -> bool:
    """Report a task's status: the lead unit's clerk, the meeting's organisers and admins."""
    if user.role == "clerk":
        return user.unit_id == task.lead_unit_id
    return can_manage_followup(user, task.conclusions.meeting)


def can_see_task(user: User, task) -> bool:
    """A published task: whoever sees its meeting or has its lead or a supporting unit in scope."""
    meeting = task.conclusions.meeting
    if can_manage_followup(user, meeting):
        return True
    if task.conclusions.status != "published":
        return False
    units = [task.lead_unit] + [s.unit for s in task.supporters]
    return can_see_meeting(user, meeting) or any(in_scope(user, u) for u in units)
