"""The ratio report as a reader sees it: live or a frozen version, within their scope."""
from __future__ import annotations

from datetime import datetime

from models.errors import N_, Msg, NotFound
from models.users import User

from .access import report_scope
from .attendance import attendance
from .online_ratio import online_ratio
from .periods import parse_period
from .snapshots import frozen_report, get_version


def read_ratio_report(period_label: str, actor: User, now: datetime, version: int | None = None,
                      province: str | None = None) -> dict:
    """Live figures (with attendance), or frozen `version`, of the actor's scope (within
    `province` when given). :raise Forbidden, NotFound, ValidationFailed:"""
    scope = report_scope(actor, province)
    period = parse_period(period_label)
    if version is not None:
        snap = get_version(period.label, version)
        if snap is None:
            raise NotFound(N_("No frozen version %(version)s of %(period)s."),
                           {"version": [Msg(N_("No frozen version %(version)s of %(period)s."),
                                            version=version, period=period.label)]},
                           version=version, period=period.label)
        return frozen_report(snap, scope)
    report = online_ratio(period, now, scope)
    report["attendance"] = attendance(period, scope)
    return report
