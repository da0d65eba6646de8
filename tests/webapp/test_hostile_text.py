"""Hostile text through every free-text field: escaped in HTML, exact in JSON, inert in CSV,
XLSX and iCalendar."""
import csv
import io
from datetime import timedelta

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

from models import Endpoint, Meeting, TargetRule, db
from models.base import utcnow

HOSTILE = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)> \' onmouseover=\'alert(2)',
    "Họp\r\nATTENDEE:mailto:evil@example.com\r\nX: y; a,b \\ c",
    "=HYPERLINK(\"http://evil\",\"bấm\")",
    "+cmd|' /C calc'!A0",
    "-2+3", "@SUM(A1)",
    "\u202eRTL\u202c mark \u200f",
    "NUL\x00inside",
    "Dài " + "ư" * 290,
]


def stored(value: str) -> str:
    from models.text import nfc
    return nfc(value)


def one_line(value: str) -> str:
    """What a single-line field keeps, read independently: its lines, trimmed of blanks, joined
    by one space (a line break in a title or a name becomes a space; docs/ARCHITECTURE.md)."""
    return " ".join(line.strip(" \t") for line in value.splitlines() if line.strip(" \t"))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_in_every_output(client, web_app, hanoi, equipped, make_user, token_for, auth, text):
    admin = make_user("admin")
    headers = token_for(admin)
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    r = client.post("/api/v1/meetings", headers=headers, json={
        "title": text[:300], "description": text, "location": text[:300], "category": "giao_ban",
        "organizer": "legacy:001", "mode": "in_person", "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(), "participants": ["legacy:00001"]})
    assert r.status_code == 201, r.json
    mid = r.json["id"]
    # JSON: exactly what was sent (NFC, without NUL, trimmed).
    got = client.get(f"/api/v1/meetings/{mid}", headers=headers).json
    assert got["title"] == one_line(stored(text[:300])) and got["description"] == stored(text)
    assert got["location"] == one_line(stored(text[:300]))
    endpoint_id = db.session.scalar(select(Endpoint.id).where(Endpoint.unit_id == hanoi["phuc_xa"].id))
    r = client.patch(f"/api/v1/endpoints/{endpoint_id}", headers=headers, json={"name": text[:200],
                                                                              "room": text[:200]})
    assert r.status_code == 200 and r.json["name"] == one_line(stored(text[:200]))
    assert r.json["room"] == one_line(stored(text[:200]))
    r = client.post(f"/api/v1/endpoints/{endpoint_id}/checks", headers=headers,
                    json={"passed": True, "note": text})
    assert r.status_code == 201 and r.json["last_check"]["note"] == stored(text)
    clerk = make_user("clerk", hanoi["phuc_xa"])
    r = client.put(f"/api/v1/meetings/{mid}/responses/legacy:00001", headers=token_for(clerk),
                   json={"status": "declined", "reason": text, "note": text})
    assert r.status_code == 200, r.json
    rule = db.session.scalar(select(TargetRule).where(TargetRule.code == "below_city_30"))
    rule.name = stored(text[:300])
    db.session.commit()

    # HTML: nothing the text holds becomes markup.
    auth.login(admin)
    for path in (f"/meetings/{mid}", "/units/legacy:00001", "/my-unit?unit=legacy:00001",
                 "/reports/online-ratio?period=" + start.strftime("%Y-%m")):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "onerror=alert(1)>" not in page.replace("&gt;", ">") or "&lt;img" in page, path

    # iCalendar: no injected property, the text comes back as one value.
    feed_url = client.get("/api/v1/units/legacy:00001/feed", headers=headers).json["url"]
    body = client.get(feed_url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).data
    assert b"\r\nATTENDEE:mailto:evil@example.com" not in body
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
    event = next(c for c in Calendar.from_ical(body).walk("VEVENT") if str(c["UID"]) == got["uid"])
    assert str(event["SUMMARY"]) == one_line(stored(text[:300]))
    # ... while a multi-line field keeps its lines (the feed appends the invitation count)
    assert str(event["DESCRIPTION"]).startswith(stored(text).replace("\r\n", "\n").replace("\r", "\n") + "\n")

    # CSV and XLSX: a cell never starts a formula.
    period = start.strftime("%Y-%m")
    data = client.get(f"/reports/online-ratio/download?period={period}&format=csv").get_data(as_text=True)
    cells = [c for row in csv.reader(io.StringIO(data)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@") and not c.lstrip("-").replace(".", "").isdigit()]
    raw = client.get(f"/reports/online-ratio/download?period={period}&format=xlsx").data
    book = load_workbook(io.BytesIO(raw))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value  # a literal string, never a formula
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                    assert cell.quotePrefix, cell.value
    assert db.session.get(Meeting, mid).title == one_line(stored(text[:300]))


def test_sign_in_is_rate_limited(client, make_user, web_app):
    web_app.config["RATELIMIT_LOGIN"] = "3 per minute"
    user = make_user("viewer")
    import re
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    codes = [client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token},
                         environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    # Another address is not affected.
    assert client.post("/login", data={"email": user.email, "password": "wrong", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code == 200


def test_session_cookie_flags(client, make_user, auth, web_app):
    r = auth.login(make_user("viewer"))
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
