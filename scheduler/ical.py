"""The iCalendar serialiser (RFC 5545): meetings and a Context in, bytes out.

No web framework, no configuration, no query of its own: the organiser's address, the
translated labels, the dial-in addresses (or a loader for them) and the feed's scope arrive in
the `Context`. Each meeting's VEVENT (a series': its master and overrides) is serialised once
per version and kept in `scheduler.ical_cache`, so a feed is assembled from cached bytes.

A scoped feed (a unit's, a scoped user's) expresses series edits so that every client sees what
concerns the scope: an occurrence that no longer concerns it (its unit removed from "this and
the following", or added only from the Nth) is an EXDATE, like a cancelled one; an occurrence
that moved or changed is a RECURRENCE-ID override.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, vCalAddress, vDuration, vRecur, vText

from models.base import LOCAL, utcnow
from models.calendar_feeds import joining
from models.errors import N_, ValidationFailed
from models.meetings import Meeting, Series, group_by_series

from . import ical_cache
from .briefing import programme_lines
from .ical_cache import cache_clear, cache_stats, feed_body  # noqa: F401  (the cache's API, here too)
from .recurrence import expand, normalise_rrule

log = logging.getLogger("giaoban.ical")

TZID = "Asia/Ho_Chi_Minh"
PRODID = "-//Giao Ban//Calendars 1.0//VI"
PARTSTAT = {"pending": "NEEDS-ACTION", "confirmed": "ACCEPTED", "declined": "DECLINED"}
REFRESH = timedelta(hours=1)
_END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class Labels:
    """The words a person reads in DESCRIPTION (English message ids; `labels_in` translates)."""

    bridge: str = N_("Bridge")
    dial_in: str = N_("Dial-in address")
    invited: str = N_("Units invited")
    reason: str = N_("Reason for cancelling")
    cancelled_day: str = N_("Cancelled on %(day)s")
    programme: str = N_("Programme")
    prefix: str = N_("Dial-in prefix")


def labels_in(gettext: Callable[[str], str]) -> Labels:
    """The DESCRIPTION's words in the translator's language."""
    return Labels(**{f.name: gettext(f.default) for f in fields(Labels)})


@dataclass(frozen=True)
class Context:
    """What the bytes depend on besides the meetings.

    `scope`: the units a feed is about (None: every unit); rows of a series that concern none of
    them become EXDATEs. `own_unit`: a unit's feed carries only this unit's ATTENDEE and the
    number invited in DESCRIPTION. A scoped feed without `own_unit` (a user's) carries every
    ATTENDEE of the meetings its units organise, and of the others its own units' and the
    number invited (`carries_every_line`). `dial`: the organisers' dial-in
    addresses, or None to ask `load_dial(organizer_ids)` when first needed. `documents`: the
    ATTACH lines, meeting id to (file name, URL) pairs of its published documents, or None to
    ask `load_documents(meeting_ids)` when first needed (a document published bumps the
    meeting's revision, so cached VEVENTs of the old version are not reused).
    """

    base_url: str
    organizer_email: str
    labels: Labels = Labels()
    dial: Mapping[int, tuple[str, ...]] | None = None
    load_dial: Callable[[set[int]], Mapping[int, list[str]]] | None = field(default=None, compare=False)
    scope: frozenset[int] | None = None
    own_unit: int | None = None
    documents: Mapping[int, tuple[tuple[str, str], ...]] | None = None
    load_documents: Callable[[set[int]], Mapping[int, list[tuple[str, str]]]] | None = field(
        default=None, compare=False)
    #: meeting id to the number of units invited, when the meetings' invitations may be loaded
    #: only in part (a scoped feed: `models.calendar_feeds.load_feed_meetings`)
    invited: Mapping[int, int] | None = field(default=None, compare=False)

    def key(self) -> tuple:
        docs = None if self.documents is None else tuple(sorted(self.documents.items()))
        return (self.base_url, self.organizer_email, self.labels, self.scope, self.own_unit, docs)


def make_context(base_url: str, organizer_email: str, labels: Labels = Labels(),
                 dial: Mapping[int, list[str]] | None = None, **options) -> Context:
    """A context; the organisers' dial-in addresses are `dial`, or loaded with `load_dial`."""
    return Context(base_url.rstrip("/"), organizer_email or "giaoban@localhost", labels,
                   None if dial is None else {k: tuple(v) for k, v in dial.items()}, **options)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL).replace(microsecond=0)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _text(value: str | None) -> str:
    """TEXT holds only LF line breaks: CRLF and lone CR become LF."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def _description(meeting: Meeting, ctx: Context) -> str:
    lines = [_text(meeting.description)] if meeting.description else []
    if meeting.status == "cancelled" and meeting.cancel_reason:
        lines.insert(0, f"{ctx.labels.reason}: {_text(meeting.cancel_reason)}")
    how = joining(meeting, ctx.dial or {})
    dial = [f"{ctx.labels.bridge}: {how.bridge}"] if how.bridge else []
    if how.prefix:
        dial.append(f"{ctx.labels.prefix}: {how.prefix}")
    dial += [f"{ctx.labels.dial_in}: {a}" for a in how.addresses]
    if dial:
        lines.append("\n".join(dial))
    programme = programme_lines(meeting)
    if programme:
        lines.append("\n".join([f"{ctx.labels.programme}:", *programme]))
    if not carries_every_line(meeting, ctx):
        lines.append(f"{ctx.labels.invited}: {_invited(meeting, ctx)}")
    return "\n\n".join(lines)


def carries_every_line(meeting: Meeting, ctx: Context) -> bool:
    """Whether this feed lists every invited unit of the meeting (SPEC: organisers' feeds and the
    single .ics do): the single .ics and an unscoped feed always, a user's scoped feed for the
    meetings its units organise. Otherwise it lists its own units' lines and the number invited."""
    return ctx.own_unit is None and (ctx.scope is None or meeting.organizer_id in ctx.scope)


def _invited(meeting: Meeting, ctx: Context) -> int:
    if ctx.invited is not None and meeting.id in ctx.invited:
        return ctx.invited[meeting.id]
    return len(meeting.invitations)


def _attendees(meeting: Meeting, ctx: Context) -> tuple:
    """The ATTENDEE lines this feed carries: the feed unit's own in a unit's feed, every one
    where `carries_every_line`, else those of the scope's units."""
    every = carries_every_line(meeting, ctx)
    mine = {ctx.own_unit} if ctx.own_unit is not None else ctx.scope
    return tuple((inv.unit_id, inv.unit.ref, inv.unit.name, inv.response)
                 for inv in meeting.invitations if every or inv.unit_id in mine)


def _fill(event: Event, meeting: Meeting, ctx: Context) -> None:
    """The properties a meeting and its overrides share: text, people, link, documents."""
    event.add("summary", _text(meeting.title))
    if meeting.location:
        event.add("location", _text(meeting.location))
    description = _description(meeting, ctx)
    if description:
        event.add("description", description)
    event.add("url", f"{ctx.base_url}/meetings/{meeting.id}", parameters={"VALUE": "URI"})
    organizer = vCalAddress(f"mailto:{ctx.organizer_email}")
    organizer.params["CN"] = meeting.organizer.name
    event.add("organizer", organizer)
    for _unit_id, ref, name, response in _attendees(meeting, ctx):
        attendee = vCalAddress(f"urn:giaoban:unit:{ref}")
        attendee.params.update({"CN": name, "CUTYPE": "GROUP", "ROLE": "REQ-PARTICIPANT",
                                "PARTSTAT": PARTSTAT.get(response, "NEEDS-ACTION")})
        event.add("attendee", attendee)
    for title, url in (ctx.documents or {}).get(meeting.id, ()):
        event.add("attach", url, parameters={"VALUE": "URI", "FILENAME": _text(title)})


def _stamp(event: Event, uid: str, sequence: int, created: datetime, modified: datetime,
           dtstamp: datetime | None) -> None:
    event.add("uid", uid)
    event.add("dtstamp", _utc(dtstamp or modified))
    event.add("created", _utc(created))
    event.add("last-modified", _utc(modified))
    event.add("sequence", sequence)


def single_event(meeting: Meeting, ctx: Context, dtstamp: datetime | None = None,
                 series_uid: str | None = None, sequence: int | None = None) -> Event:
    """One VEVENT for one meeting (with RECURRENCE-ID when it stands for a series' occurrence)."""
    event = Event()
    _stamp(event, series_uid or meeting.uid, meeting.revision if sequence is None else sequence,
           meeting.created_at, meeting.updated_at, dtstamp)
    if series_uid is not None:
        event.add("recurrence-id", _local(meeting.recurrence_id))
    event.add("dtstart", _local(meeting.start_at))
    event.add("dtend", _local(meeting.end_at))
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    _fill(event, meeting, ctx)
    return event


def _generated(series: Series) -> set[datetime]:
    """The UTC instants the series' rule generates, expanded in local wall-clock time with
    UNTIL read as an instant (so a rule closed with UNTIL=...Z expands like any other)."""
    try:
        return {_utc(s) for s in expand(series.rrule, series.dtstart_local)}
    except ValidationFailed:
        return set()


def _rrule(series: Series) -> vRecur:
    """The rule as clients read it: UNTIL in UTC form, as RFC 5545 wants with a TZID DTSTART."""
    try:
        return vRecur.from_ical(normalise_rrule(series.rrule))
    except ValidationFailed:
        return vRecur.from_ical(series.rrule)


def _moved(meeting: Meeting, series: Series) -> bool:
    return (meeting.start_at != meeting.recurrence_id
            or meeting.end_at - meeting.start_at != timedelta(minutes=series.duration_minutes))


def concerns(meeting: Meeting, scope: frozenset[int] | None) -> bool:
    """Whether a meeting is about one of these units (organised by or inviting one)."""
    return scope is None or meeting.organizer_id in scope or any(
        inv.unit_id in scope for inv in meeting.invitations)


def series_events(series: Series, rows: list[Meeting], ctx: Context,
                  dtstamp: datetime | None = None) -> list[Event]:
    """A series as one VEVENT with RRULE and EXDATEs, then one override per changed occurrence.

    EXDATE: occurrences cancelled, not about the feed's scope, or skipped at booking (the
    series' `exdates`: non-working days). RECURRENCE-ID: occurrences moved or otherwise unlike
    the master.
    """
    generated = _generated(series)
    valid = []
    for m in rows:
        if m.recurrence_id is None or _utc(m.recurrence_id) not in generated:
            log.warning("meeting %s: recurrence id %s is not generated by series %s's rule; "
                        "left out of the calendar", m.id, m.recurrence_id, series.uid)
            continue
        valid.append(m)
    shown = [m for m in valid if concerns(m, ctx.scope)]
    live = [m for m in shown if m.status != "cancelled"]
    template = next((m for m in live if not _moved(m, series)), live[0] if live else None)
    sequence = max([series.revision or 0] + [m.revision for m in rows])
    modified = max([m.updated_at for m in rows], default=series.created_at)
    master = Event()
    _stamp(master, series.uid, sequence, series.created_at, modified, dtstamp)
    master.add("dtstart", series.dtstart_local.replace(tzinfo=LOCAL, microsecond=0))
    master.add("duration", timedelta(minutes=series.duration_minutes))
    master.add("rrule", _rrule(series))
    if template is None:  # every occurrence (that concerns the scope) was cancelled
        master.add("status", "CANCELLED")
        if rows:
            _fill(master, (shown or rows)[0], ctx)
        return [master]
    master.add("status", "CONFIRMED")
    _fill(master, template, ctx)
    live_ids = {m.id for m in live}
    _tell_cancellations(master, [m for m in shown if m.id not in live_ids], ctx)
    exdates = [_local(m.recurrence_id) for m in valid if m.id not in live_ids]
    skipped = set(filter(None, (series.exdates or "").split(",")))  # local dates booked without a row
    exdates += [_local(s) for s in generated if _local(s).date().isoformat() in skipped]
    exdates = sorted(set(exdates))
    if exdates:
        master.add("exdate", exdates)
    events = [master]
    for m in live:
        if m is template and not _moved(m, series):
            continue  # the master says it; a moved template (no unmoved one is left) still needs its override
        if (_moved(m, series) or (m.title, m.location, m.description) !=
                (template.title, template.location, template.description)
                or _attendees(m, ctx) != _attendees(template, ctx)
                or _invited(m, ctx) != _invited(template, ctx)
                or _briefing(m, ctx) != _briefing(template, ctx)):
            events.append(single_event(m, ctx, dtstamp, series_uid=series.uid, sequence=sequence))
    return events


def _tell_cancellations(master: Event, cancelled: list[Meeting], ctx: Context) -> None:
    """A cancelled occurrence is an EXDATE, which carries no text: its reason joins the master's
    DESCRIPTION ("Cancelled on 12/01/2027: ..."), so a clerk reading any occurrence sees why."""
    told = [f"{ctx.labels.cancelled_day % {'day': f'{_local(m.recurrence_id):%d/%m/%Y}'}}: "
            f"{_text(m.cancel_reason)}" for m in cancelled if m.cancel_reason]
    if not told:
        return
    before = str(master.get("DESCRIPTION", ""))
    master.pop("DESCRIPTION", None)
    master.add("description", "\n\n".join(filter(None, [before, "\n".join(told)])))


def _briefing(meeting: Meeting, ctx: Context) -> tuple:
    """An occurrence's programme and ATTACH lines: one that differs from the master's needs its override."""
    return tuple(programme_lines(meeting)), (ctx.documents or {}).get(meeting.id, ())


def _with_dial(ctx: Context, meetings: list[Meeting]) -> Context:
    """The context with the dial-in addresses and the documents loaded, when it has loaders."""
    if ctx.documents is None and ctx.load_documents is not None:
        found = ctx.load_documents({m.id for m in meetings})
        ctx = replace(ctx, documents={k: tuple(v) for k, v in found.items()})
    if ctx.dial is not None:
        return ctx
    found = ctx.load_dial({m.organizer_id for m in meetings}) if ctx.load_dial else {}
    return replace(ctx, dial={k: tuple(v) for k, v in found.items()})


def _group(meetings: list[Meeting]) -> list[list[Meeting]]:
    """Single meetings alone, a series' rows together (ordered by recurrence id)."""
    groups = group_by_series(meetings)
    for rows in groups:
        rows.sort(key=lambda m: (m.recurrence_id or m.start_at, m.id))
    return groups


def _group_bytes(rows: list[Meeting], ctx: Context) -> bytes:
    if rows[0].series_id is None or rows[0].series is None:
        return single_event(rows[0], ctx).to_ical()
    return b"".join(e.to_ical() for e in series_events(rows[0].series, rows, ctx))


def events_bytes(meetings: list[Meeting], ctx: Context) -> list[bytes]:
    """The VEVENT bytes of these meetings, built now (no cache), series gathered."""
    ctx = _with_dial(ctx, meetings)
    return [_group_bytes(rows, ctx) for rows in _group(meetings)]


def assemble_feed(versions: list, load, ctx: Context, *, name: str, uid: str,
                  description: str | None = None) -> bytes:
    """A feed assembled from VEVENTs cached by version (models.calendar_feeds.FeedVersion).

    Only the meetings whose bytes are not cached are loaded, with `load(ids)`, and serialised.
    """
    groups = group_by_series(versions)
    keys = [(("m" if g[0].series_id is None else "s", ctx.key(), tuple(g)), [v.id for v in g])
            for g in groups]
    found = ical_cache.events_get([key for key, _ids in keys])
    missing = [(key, ids) for key, ids in keys if key not in found]
    if missing:
        loaded = {m.id: m for m in load([i for _key, ids in missing for i in ids])}
        ctx = _with_dial(replace(ctx, invited={v.id: v.invited for v in versions}), list(loaded.values()))
        built = {}
        for key, ids in missing:
            rows = sorted((loaded[i] for i in ids), key=lambda m: (m.recurrence_id or m.start_at, m.id))
            found[key] = built[key] = _group_bytes(rows, ctx)
        ical_cache.events_put(built)
    return b"".join([_header(name, uid, "PUBLISH", description), _VTIMEZONE,
                     *(found[key] for key, _ids in keys), _END])


def _timezone_bytes() -> bytes:
    """One VTIMEZONE with one STANDARD block at +0700 (Ho Chi Minh has not changed since 1975)."""
    cal = Calendar()
    probe = Event()
    probe.add("dtstart", datetime(1976, 6, 1, tzinfo=LOCAL))
    cal.add_component(probe)
    cal.add_missing_timezones(first_date=date(1976, 1, 1), last_date=date(1976, 12, 31))
    tz = cal.timezones[0]
    tz.pop("COMMENT", None)  # it would claim the zone works only over the probe's range
    return tz.to_ical()


_VTIMEZONE = _timezone_bytes()


@lru_cache(maxsize=256)
def _header(name: str, uid: str, method: str, description: str | None) -> bytes:
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("uid", uid)
    cal.add("name", vText(_text(name)))
    cal.add("x-wr-calname", vText(_text(name)))
    if description:
        cal.add("x-wr-caldesc", vText(_text(description)))
    if method == "PUBLISH":
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(REFRESH))
    data = cal.to_ical()
    assert data.endswith(_END)
    return data[:-len(_END)]


def calendar_bytes(meetings: list[Meeting], ctx: Context, *, name: str, uid: str,
                   method: str = "PUBLISH", description: str | None = None) -> bytes:
    """A VCALENDAR of these meetings, serialised now."""
    return b"".join([_header(name, uid, method, description), _VTIMEZONE,
                     *events_bytes(meetings, ctx), _END])


def meeting_calendar_bytes(meeting: Meeting, ctx: Context, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR with this METHOD holding one meeting, with every ATTENDEE.

    PUBLISH of a series' occurrence gives the whole series (master and overrides), so a client
    importing it sees the occurrence in its series; other methods (REQUEST, CANCEL) give that
    occurrence alone, with the series' UID and its RECURRENCE-ID, stamped now.
    """
    rows = list(meeting.series.meetings) if meeting.series is not None and method == "PUBLISH" else [meeting]
    ctx = _with_dial(replace(ctx, scope=None, own_unit=None), rows)
    name = _text(meeting.title)
    uid = f"giaoban-meeting-{meeting.uid}"
    if method == "PUBLISH":
        return calendar_bytes(rows, ctx, name=name, uid=uid, method=method)
    series_uid = meeting.series.uid if meeting.series is not None else None
    event = single_event(meeting, ctx, dtstamp=utcnow(), series_uid=series_uid)
    if method == "CANCEL":  # RFC 5546 3.2.5: what is withdrawn from its recipient (even a unit removed
        event["STATUS"] = "CANCELLED"  # from a meeting that still takes place) reads as cancelled
    return b"".join([_header(name, uid, method, None), _VTIMEZONE, event.to_ical(), _END])
