"""Recurring series: the RFC 5545 RRULE subset we accept, expanded in local wall-clock time."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr

from models.base import LOCAL
from models.errors import N_, Msg, ValidationFailed
from models.meetings import RRULE_MAX

ALLOWED_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"}
FREQS = {"DAILY", "WEEKLY", "MONTHLY"}
MAX_OCCURRENCES = 366
#: no occurrence may start later than this many years after the first (a series' horizon)
HORIZON_YEARS = 5
_DAY = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_WHOLE = re.compile(r"[0-9]{1,4}")


def parse_rrule(rule: str) -> dict[str, str]:
    """Check a rule against the subset SPEC allows; returns its parts.

    :raise ValidationFailed: naming `rrule` and what is wrong.
    """
    def bad(reason: str):
        raise ValidationFailed({"rrule": reason})

    if not isinstance(rule, str) or not rule.strip():
        bad(N_("Give a rule such as FREQ=WEEKLY;BYDAY=MO;COUNT=10."))
    text = rule.strip().removeprefix("RRULE:")
    if len(text) > RRULE_MAX:
        bad(N_("The rule is too long."))
    parts: dict[str, str] = {}
    for piece in text.split(";"):
        if "=" not in piece:
            bad(Msg(N_("'%(piece)s' is not NAME=VALUE."), piece=piece))
        name, value = piece.split("=", 1)
        name = name.strip().upper()
        if name not in ALLOWED_PARTS:
            bad(Msg(N_("%(name)s is not supported (use FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL)."),
                    name=name))
        if name in parts:
            bad(Msg(N_("%(name)s is given twice."), name=name))
        parts[name] = value.strip().upper()
    if parts.get("FREQ") not in FREQS:
        bad(N_("FREQ must be DAILY, WEEKLY or MONTHLY."))
    if "COUNT" in parts and "UNTIL" in parts:
        bad(N_("Give COUNT or UNTIL, not both."))
    if "COUNT" not in parts and "UNTIL" not in parts:
        bad(N_("A series needs COUNT or UNTIL."))
    if "COUNT" in parts and not (_WHOLE.fullmatch(parts["COUNT"]) and 1 <= int(parts["COUNT"]) <= MAX_OCCURRENCES):
        bad(Msg(N_("COUNT must be a whole number from 1 to %(max)s."), max=MAX_OCCURRENCES))
    if "INTERVAL" in parts and not (_WHOLE.fullmatch(parts["INTERVAL"]) and 1 <= int(parts["INTERVAL"]) <= 52):
        bad(N_("INTERVAL must be a whole number from 1 to 52."))
    for day in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        match = _DAY.match(day)
        if not match:
            bad(Msg(N_("BYDAY value '%(day)s' is not a weekday such as MO or 1MO."), day=day))
        if match.group(1) is not None:
            if parts["FREQ"] != "MONTHLY":
                bad(Msg(N_("BYDAY value '%(day)s': a numbered weekday needs FREQ=MONTHLY."), day=day))
            if not 1 <= abs(int(match.group(1))) <= 5:
                bad(Msg(N_("BYDAY value '%(day)s': the number must be 1 to 5 or -1 to -5."), day=day))
    for md in parts.get("BYMONTHDAY", "").split(",") if "BYMONTHDAY" in parts else []:
        if not re.fullmatch(r"-?[0-9]{1,2}", md) or not (1 <= abs(int(md)) <= 31):
            bad(Msg(N_("BYMONTHDAY value '%(day)s' must be 1 to 31 (or -1 to -31)."), day=md))
    if "UNTIL" in parts:
        if not re.fullmatch(r"[0-9]{8}(T[0-9]{6}Z?)?", parts["UNTIL"]):
            bad(N_("UNTIL must look like 20191231 or 20191231T235959Z."))
        try:
            until_utc(parts["UNTIL"])
        except (ValueError, OverflowError):
            bad(N_("UNTIL is not a real date and time."))
    return parts


def normalise_rrule(rule: str) -> str:
    """The rule in a canonical spelling, with UNTIL in UTC as RFC 5545 requires."""
    parts = parse_rrule(rule)
    if "UNTIL" in parts:
        parts["UNTIL"] = until_utc(parts["UNTIL"]).strftime("%Y%m%dT%H%M%SZ")
    order = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"]
    return ";".join(f"{k}={parts[k]}" for k in order if k in parts)


def until_utc(value: str) -> datetime:
    """UNTIL as an instant: a date means the end of that local day; a floating time is local."""
    if len(value) == 8:
        day = datetime.strptime(value, "%Y%m%d").replace(tzinfo=LOCAL)
        return (day + timedelta(days=1) - timedelta(seconds=1)).astimezone(UTC)
    if value.endswith("Z"):
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=LOCAL).astimezone(UTC)


def expand(rule: str, dtstart_local: datetime, limit: int = MAX_OCCURRENCES,
           horizon_years: int = HORIZON_YEARS) -> list[datetime]:
    """The occurrences' starts as aware UTC instants, expanded in Asia/Ho_Chi_Minh wall-clock.

    `dtstart_local` is naive local time. More than `limit` occurrences, or one starting more
    than `horizon_years` after `dtstart_local`, is refused; so is a rule the expander fails on.
    """
    normalised = normalise_rrule(rule)
    parts = parse_rrule(normalised)
    local_rule = normalised
    if "UNTIL" in parts:
        # dateutil compares UNTIL with naive local datetimes: give it local wall-clock.
        until_local = until_utc(parts["UNTIL"]).astimezone(LOCAL).replace(tzinfo=None)
        local_rule = normalised.replace(f"UNTIL={parts['UNTIL']}",
                                        f"UNTIL={until_local.strftime('%Y%m%dT%H%M%S')}")
    try:
        horizon = dtstart_local.replace(year=dtstart_local.year + horizon_years)
    except ValueError:  # 29 February, or beyond the calendar
        horizon = dtstart_local + timedelta(days=365 * horizon_years)
    out = []
    try:
        rr = rrulestr(local_rule, dtstart=dtstart_local)
        for occurrence in rr:
            if occurrence > horizon:
                raise ValidationFailed({"rrule": Msg(N_("A series ends within %(years)s years of its start."),
                                                     years=horizon_years)})
            if len(out) >= limit:
                raise ValidationFailed({"rrule": Msg(N_("The rule makes more than %(limit)s occurrences."),
                                                     limit=limit)})
            out.append(occurrence.replace(tzinfo=LOCAL).astimezone(UTC))
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed({"rrule": N_("The rule cannot be expanded.")}) from exc
    if not out:
        raise ValidationFailed({"rrule": N_("The rule makes no occurrence from this start.")})
    return out


def until_before(rule: str, instant: datetime) -> str:
    """The rule cut so that its last occurrence is before `instant` (for "this and following")."""
    parts = parse_rrule(rule)
    parts.pop("COUNT", None)
    parts["UNTIL"] = (instant - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    order = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL"]
    return ";".join(f"{k}={parts[k]}" for k in order if k in parts)
