"""Schemathesis hooks for the live run: generated data made to refer to the served world.

A schema says which requests are well formed; it cannot say which units, meetings and times
exist. Loaded by the schemathesis command line (`SCHEMATHESIS_HOOKS=tests.webapp.schemathesis_world`),
these hooks read the world the test seeded (`GIAOBAN_FUZZ_WORLD`, a JSON file: unit references,
the bridge, an endpoint, a meeting per operation, the clock) and rewrite each positive component
of a case to name it: unit references become real ones, meeting ids the operation's own meeting,
a start a future instant with its end after it, a check in the past. Every value written stays
valid against the document (schemathesis revalidates a changed case), and a component generated
to be invalid (negative mode) is left alone, so the refusal checks still see what they expect.
"""
from __future__ import annotations

import json
import os
import random
import unicodedata
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import schemathesis
from schemathesis.core.parameters import ParameterLocation

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
#: body and query fields that hold one unit reference, and those that hold a list of them
UNIT_FIELDS = {"organizer", "lead_unit", "presenter", "unit", "parent"}
UNIT_LISTS = {"participants", "supporting_units", "connected"}


@cache
def world() -> dict:
    with open(os.environ["GIAOBAN_FUZZ_WORLD"]) as f:
        return json.load(f)


def _local(at: datetime) -> str:
    return at.astimezone(LOCAL).replace(microsecond=0).isoformat()


def _positive(case, location: ParameterLocation) -> bool:
    meta = case.meta
    if meta is None:
        return False
    component = meta.components.get(location)
    return component is not None and component.mode.is_positive


def _visible(value: str) -> bool:
    return any(unicodedata.category(ch)[0] not in ("Z", "C") for ch in value)


def _future_slot(rng: random.Random) -> tuple[datetime, datetime]:
    """An hour on a working day a few weeks to a few months ahead (the server's calendar, so a
    strict booking is not refused for a holiday; a clash is still possible, and is a 409)."""
    day = date.fromisoformat(rng.choice(world()["working_days"]))
    start = datetime.combine(day, time(rng.choice([8, 9, 10, 14, 15])), LOCAL)
    return start, start + timedelta(hours=1)


def _units(rng: random.Random, count: int) -> list[str]:
    refs = world()["units"]
    return rng.sample(refs, min(max(count, 0), len(refs)))


def _body(label: str, body: dict, rng: random.Random) -> dict:
    w = world()
    for key, value in list(body.items()):
        if key in UNIT_FIELDS and isinstance(value, str):
            body[key] = w["organizer"] if key == "organizer" else rng.choice(w["units"])
        elif key in UNIT_LISTS and isinstance(value, list):
            body[key] = _units(rng, len(value))
        elif key == "items" and isinstance(value, list):  # a programme: new items, real presenters
            for item in value:
                if isinstance(item, dict):
                    _body(label, item, rng)
                    item.pop("id", None)
        elif key == "outcome" and isinstance(value, dict):
            _body(label, value, rng)
        elif isinstance(value, str) and value and not _visible(value):
            body[key] = "x"  # "shows something" is a Unicode-category rule no pattern states
    # connected units are invited ones: the outcome's meeting's, or the booking's own participants
    if label == "POST /api/v1/meetings/{meeting_id}/outcome" and isinstance(body.get("connected"), list):
        body["connected"] = w["invited"][:len(body["connected"])]
    outcome = body.get("outcome")
    if isinstance(outcome, dict) and isinstance(outcome.get("connected"), list):
        outcome["connected"] = list(body.get("participants") or [])[:len(outcome["connected"])]
    if isinstance(body.get("supporting_units"), list) and body.get("lead_unit") in body["supporting_units"]:
        body["supporting_units"].remove(body["lead_unit"])  # a lead unit does not also support
    if "start" in body or "end" in body:
        start, end = _future_slot(rng)
        if body.get("outcome"):  # the record of a meeting that took place
            start, end = start - timedelta(days=400), end - timedelta(days=400)
        body["start"], body["end"] = _local(start), _local(end)
    if body.get("mode") in ("online", "hybrid") or body.get("bridge") is not None:
        if "bridge" in body or label.startswith("POST /api/v1/meetings"):
            body["bridge"] = w["bridge"]
        if "participants" in body and not body["participants"] or label == "POST /api/v1/meetings" \
                and "participants" not in body:
            body["participants"] = _units(rng, 1)
    if body.get("rrule"):
        body["rrule"] = rng.choice(["FREQ=WEEKLY;COUNT=3", "FREQ=DAILY;COUNT=2", "FREQ=MONTHLY;COUNT=2"])
    if "checked_at" in body and body["checked_at"] is not None:
        body["checked_at"] = _local(datetime.fromisoformat(w["now"]) - timedelta(hours=2))
    if "due_on" in body:
        body["due_on"] = (datetime.fromisoformat(w["now"]) + timedelta(days=60)).date().isoformat()
    if label == "PUT /api/v1/calendar/exceptions" and "day" in body:
        body["day"] = f"2099-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"  # off the booking window
    # what a status needs beside it: a held outcome its mode, a refusal its reason, a yes its attendee
    if body.get("status") == "held" and not body.get("mode"):
        body["mode"] = "online"
    if body.get("status") == "declined" or body.get("state") == "absent":
        body["reason"] = body.get("reason") or "Trùng lịch"
    if body.get("status") == "confirmed":
        body["attendee"] = body.get("attendee") or "Nguyễn Văn A"
    return body


def _query(label: str, query: dict, rng: random.Random) -> dict:
    w = world()
    for key in list(query):
        if key in UNIT_FIELDS and isinstance(query[key], str):
            query[key] = w["organizer"] if key == "organizer" else rng.choice(w["units"])
    if "province" in query:
        query["province"] = w["province"]
    if "participants" in query:
        query["participants"] = ",".join(_units(rng, 2))
    if "bridge" in query:
        query["bridge"] = w["bridge"]
    if "from" in query and "to" in query:
        start, _end = _future_slot(rng)
        query["from"], query["to"] = _local(start), _local(start + timedelta(days=14))
    return query


def _path(label: str, path: dict) -> dict:
    w = world()
    if "meeting_id" in path:
        path["meeting_id"] = w["meetings"].get(label, w["meetings"]["default"])
    if "endpoint_id" in path:
        path["endpoint_id"] = w["endpoint"]
    if "unit" in path:
        path["unit"] = w["invited"][0] if "meeting_id" in path else w["units"][0]
    return path


_rng = random.Random(12)  # one stream for the run: the same seed draws the same world


def in_world(case, examples: bool = False):
    """`case`, when generated valid (or a schema example), with each component naming the world."""
    label = case.operation.label
    if not examples and (case.meta is None or not case.meta.generation.mode.is_positive):
        return case  # meant to be refused: left as drawn

    def positive(location):
        return examples or _positive(case, location)

    if positive(ParameterLocation.PATH) and case.path_parameters:
        path = _path(label, dict(case.path_parameters))
        if path != case.path_parameters:
            case.path_parameters = path
    if positive(ParameterLocation.QUERY) and case.query:
        query = _query(label, dict(case.query), _rng)
        if query != case.query:
            case.query = query
    if positive(ParameterLocation.BODY) and isinstance(case.body, dict) and case.media_type == "application/json":
        body = _body(label, json.loads(json.dumps(case.body)), _rng)
        if body != case.body:
            case.body = body
    return case


#: what schemathesis draws for `format: binary` in its coverage phase, and an accepted type
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@schemathesis.hook
def filter_case(context, case):
    """A multipart form is sent as drawn (changing it makes schemathesis revalidate the file's
    bytes against `type: string`, which they never match), so a valid form is left out when it
    names a programme item (the items are the run's own) or its file is not a PNG (an upload's
    type is told from its content, which no schema can state; the fuzzing phase draws any bytes)."""
    meta = case.meta
    if not (case.media_type == "multipart/form-data" and isinstance(case.body, dict)
            and meta is not None and meta.generation.mode.is_positive):
        return True
    upload = case.body.get("file")
    return case.body.get("agenda_item") is None and (
        upload is None or isinstance(upload, bytes | bytearray) and bytes(upload).startswith(PNG_SIGNATURE))


@schemathesis.hook
def map_case(context, case):
    return in_world(case)


@schemathesis.hook
def before_add_examples(context, examples):
    """The examples phase's cases (the document's own examples) do not pass `map_case`."""
    for case in examples:
        in_world(case, examples=True)
