"""In Vietnamese, no English sentence reaches a person: pages, refusals, field errors, error pages.

English is told by the catalog itself: any msgid of three or more words (or a literal stretch of
one between its placeholders) that appears verbatim in a Vietnamese page was never translated on
its way there. WTForms' and Werkzeug's stock sentences are listed too (they are not our msgids).
"""
import html
import re
from datetime import timedelta

import pytest
from babel.messages.pofile import read_po

from models import db
from models.base import utcnow
from tests.webapp.test_meeting_pages import book, csrf_of, form, monday_ahead, post_new
from tests.webapp.test_translations import PO

STOCK = ["This field is required", "Not a valid choice", "Some fields are not valid", "Not Found",
         "Internal Server Error", "Too Many Requests", "The requested URL", "You don't have the permission",
         "Method Not Allowed", "Not a valid date value", "Not a valid time value", "Invalid input",
         "Number must be between", "Field cannot be longer", "has no ready endpoint", "is in the past"]


def _english_fragments() -> list[str]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    found = set()
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        msgstr = m.string[0] if isinstance(m.string, tuple) else m.string
        if msgstr == msgid:
            continue
        for piece in re.split(r"%\(\w+\)[sd]|%[sd]", msgid):
            piece = piece.strip(" .,:;()'\"")
            if len(piece.split()) >= 3:
                found.add(piece)
    return sorted(found, key=len, reverse=True)


FRAGMENTS = _english_fragments()


def english_in(page: str) -> list[str]:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = " ".join(text.split())
    return [f for f in FRAGMENTS + STOCK if f in text]


def assert_vietnamese(response, where: str):
    page = response.get_data(as_text=True)
    assert 'lang="vi"' in page, where
    english = english_in(page)
    assert not english, f"{where}: English in the Vietnamese UI: {english}"


def test_the_catalog_tells_english(client, auth, organizer, hanoi):
    """The detector itself: an untranslated refusal is caught."""
    assert "An online or hybrid meeting needs a bridge" in FRAGMENTS
    assert english_in("<p>An online or hybrid meeting needs a bridge.</p>")
    assert not english_in("<p>Cuộc họp trực tuyến hoặc kết hợp cần chọn cầu truyền hình.</p>")


def test_every_page_without_arguments_reads_in_vietnamese(client, web_app, auth, hanoi, make_user,
                                                          equipped, bridge, organizer):
    book(organizer, bridge, utcnow() + timedelta(days=3), participants=["legacy:00001"])
    auth.login(make_user("admin", None))
    walked = []
    skip = ("/logout", "/api/", "/static", "/bootstrap", "/healthz", "/metrics", "/readyz")
    for rule in web_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith(skip):
            continue
        r = client.get(rule.rule)
        if r.status_code != 200 or not r.mimetype == "text/html":
            continue
        assert_vietnamese(r, rule.rule)
        walked.append(rule.rule)
    assert len(walked) >= 8, walked


def test_every_refusal_a_booker_meets_reads_in_vietnamese(client, auth, organizer, equipped, bridge):
    auth.login(organizer)
    monday = monday_ahead()
    cases = {
        "empty title": {"title": ""},
        "end before start": {"start_time": "10:00", "end_time": "09:00"},
        "unknown unit": {"codes": "phuc xa"},
        "no bridge": {"mode": "online", "bridge": ""},
        "bad bridge": {"bridge": "x1"},
        "repeat without count": {"repeat": "weekly"},
        "past start": {"date": "2020-01-06"},
        "bad category": {"category": "party"},
    }
    for where, overrides in cases.items():
        r = post_new(client, {**form(bridge, monday, units=["legacy:00001"]), **overrides})
        assert r.status_code == 400, where
        assert_vietnamese(r, where)
    equipped["phuc_xa"].status = "faulty"
    db.session.commit()
    r = post_new(client, {**form(bridge, monday, units=["legacy:00001"]), "strict": "y"})
    assert r.status_code == 400
    assert_vietnamese(r, "strict booking")
    assert "Phường Phúc Xá chưa có điểm cầu sẵn sàng." in r.get_data(as_text=True)
    equipped["phuc_xa"].status = "ready"
    db.session.commit()
    assert post_new(client, form(bridge, monday, units=["legacy:00001"])).status_code == 303
    r = post_new(client, form(bridge, monday, units=["legacy:00001"], title="Trùng giờ"))
    assert r.status_code == 409
    assert_vietnamese(r, "clash")


def test_refusals_on_meetings_answers_and_error_pages_read_in_vietnamese(
        client, auth, organizer, hanoi, make_meeting, make_user):
    upcoming = make_meeting(hanoi["city"], utcnow() + timedelta(days=1), participants=[hanoi["phuc_xa"]])
    auth.login(organizer)
    page = client.get(f"/meetings/{upcoming.id}/outcome").get_data(as_text=True)
    r = client.post(f"/meetings/{upcoming.id}/outcome", data={
        "csrf_token": csrf_of(page), "status": "held", "mode": "online"})
    assert r.status_code == 400
    assert_vietnamese(r, "meeting not ended")
    assert "Cuộc họp chưa kết thúc." in r.get_data(as_text=True)
    for path, status in (("/meetings/999999", 404), ("/no-such-page", 404)):
        r = client.get(path)
        assert r.status_code == status
        assert_vietnamese(r, path)
        assert "Không tìm thấy trang" in r.get_data(as_text=True)
    r = client.post("/meetings/new", data={})
    assert r.status_code in (400, 405)
    assert_vietnamese(r, "post without a token")
    auth.logout()
    clerk = make_user("clerk", hanoi["phuc_xa"])
    auth.login(clerk)
    r = client.get("/meetings/new")
    assert r.status_code == 403
    assert_vietnamese(r, "403")
    token = auth.csrf("/my-unit")
    r = client.post(f"/my-unit/meetings/{upcoming.id}/answer",
                    data={"csrf_token": token, "status": "declined", "reason": ""})
    assert r.status_code == 422
    assert_vietnamese(r, "declined without reason")
    assert "Cần nêu lý do khi báo vắng." in r.get_data(as_text=True)


def test_too_many_sign_ins_is_a_vietnamese_page(client, auth, organizer):
    token = auth.csrf("/login")
    for _ in range(30):
        r = client.post("/login", data={"csrf_token": token, "email": organizer.email, "password": "wrong"})
        if r.status_code == 429:
            break
    assert r.status_code == 429
    assert_vietnamese(r, "429")
    assert "Quá nhiều yêu cầu" in r.get_data(as_text=True)


@pytest.mark.parametrize("language, message, field", [
    ("vi", "Một số trường chưa hợp lệ", "Cuộc họp trực tuyến hoặc kết hợp cần chọn cầu truyền hình."),
    ("en", "Some fields are not valid", "An online or hybrid meeting needs a bridge."),
])
def test_the_api_message_follows_accept_language_and_the_code_stays(client, equipped, organizer,
                                                                   token_for, language, message, field):
    from tests.booking_data import meeting_data
    body = meeting_data(start=utcnow() + timedelta(days=3), end=utcnow() + timedelta(days=3, hours=1))
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}
    body.pop("bridge", None)
    r = client.post("/api/v1/meetings", json=body,
                    headers={**token_for(organizer), "Accept-Language": language})
    assert r.status_code == 422
    error = r.json["error"]
    assert error["code"] == "invalid" and error["message"] == message
    assert error["details"]["bridge"] == [field]


def _vietnamese_entries() -> dict[str, str]:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): " ".join(m.string) if isinstance(m.string, tuple)
            else m.string for m in catalog if m.id}


def test_the_catalog_reads_as_an_administrative_document():
    """One spelling per word (the tone on the vowel as administrative documents write it:
    "hủy", "khóa", "xóa"); "Hôm nay" for today; a calendar feed is not "Lịch đăng ký"."""
    entries = _vietnamese_entries()
    text = " ".join(entries.values())
    for new, old in (("huỷ", "hủy"), ("khoá", "khóa"), ("xoá", "xóa")):
        assert new not in text.lower(), f"write {old!r}, not {new!r}"
    assert entries["Today"] == "Hôm nay"
    assert "Lịch đăng ký" not in text
    assert "Cancel" in entries and entries["Cancel"].startswith("Hủy")
    assert entries["E-mail"] == "Thư điện tử" and "e-mail" not in text.lower()
    assert "phiên bản" not in text  # a frozen report is a "bản chốt", everywhere
    assert "đường dẫn lịch" not in text.lower()  # a feed is an "địa chỉ lịch", as on its renewal
    assert "trực tiếp" not in entries["Live figures"]  # "trực tiếp" is in person
    # a meeting's organiser is its "đơn vị tổ chức" everywhere; "đơn vị chủ trì" is a task's lead
    organiser = {msgid: text for msgid, text in entries.items() if re.search(r"\b(organi[sz]\w*|host)\b", msgid, re.I)
                 and not re.search(r"\btasks?\b|\blead", msgid, re.I)}
    assert organiser and not [m for m, t in organiser.items() if "chủ trì" in t.lower()]


@pytest.mark.parametrize("language", [None, "vi", "en"])
def test_the_apis_schema_messages_follow_accept_language(client, equipped, organizer, token_for, language):
    """Marshmallow's own field messages (required, type, length, choice, range, list items) come
    back in Vietnamese by default and with `vi`, in English with `en`; field names stay codes."""
    body = {"title": "x" * 1000, "category": "party", "mode": "online", "start": 5,
            "participants": ["legacy:00001", ""], "unknown_field": 1}
    headers = {**token_for(organizer), **({"Accept-Language": language} if language else {})}
    r = client.post("/api/v1/meetings", json=body, headers=headers)
    assert r.status_code == 422
    error = r.json["error"]
    assert error["code"] == "invalid"
    details = error["details"]
    assert {"title", "category", "start", "end", "participants", "organizer"} <= set(details)
    said = " ".join(str(v) for v in details.values())
    if language == "en":
        assert details["end"] == ["Missing data for required field."]
        assert details["title"] == ["Length must be between 1 and 300."]
        assert details["category"][0].startswith("Must be one of: ")
        return
    assert details["end"] == ["Thiếu dữ liệu của trường bắt buộc."]
    assert details["title"] == ["Độ dài phải từ 1 đến 300."]
    assert details["category"][0].startswith("Phải là một trong các giá trị: ")
    assert details["start"] == ["Thời điểm không hợp lệ: hãy ghi theo ISO 8601."]
    assert details["participants"] == {"1": ["Độ dài phải từ 1 đến 80."]}
    assert details["unknown_field"] == ["Trường không xác định."]
    assert not english_in(said), english_in(said)
    for message in ("Missing data", "Length must", "Must be one of", "Not a valid", "Unknown field"):
        assert message not in said


def test_the_apis_answers_say_they_vary_by_language(client, equipped, organizer, token_for):
    """What follows Accept-Language says so (Vary), refusals included, so a shared cache cannot
    hand a Vietnamese answer to an English client."""
    headers = token_for(organizer)
    for r in (client.get("/api/v1/units?q=phuc", headers=headers),
              client.post("/api/v1/meetings", json={"title": ""}, headers=headers),
              client.get("/api/v1/units")):  # 401
        assert "Accept-Language" in r.headers.get("Vary", ""), (r.status_code, r.headers)
