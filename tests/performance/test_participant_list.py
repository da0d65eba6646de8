"""A long participant list is resolved in a few statements, however many entries it has: a
refusal of 5,000 unknown codes names the field and costs what a refusal of ten does."""
from __future__ import annotations

from models import db
from models.units import find_unit, find_units
from tests.fixtures.sql import statements_of


def _statements(web_app, fn):
    """What `fn` returns and the statements the requests' app (not the test's) sent meanwhile."""
    with web_app.app_context():
        engine = db.engine
    return statements_of(fn, engine)


def _booking(bridge_id: int, participants):
    return {"title": "Giao ban", "category": "giao_ban", "organizer": "legacy:01", "mode": "online",
            "start": "2030-01-07T09:00:00+07:00", "end": "2030-01-07T10:00:00+07:00",
            "participants": participants, "bridge": bridge_id}


def test_a_refusal_of_5000_unknown_codes_names_the_field_without_a_query_per_entry(
        web_app, client, hanoi, equipped, bridge, make_user, token_for):
    from models.meetings import PARTICIPANTS_MAX
    from scheduler.participants import ERRORS_LISTED
    headers = token_for(make_user("admin"))
    bridge_id = bridge.id

    def refuse(count):
        body = _booking(bridge_id, [f"legacy:{i:07d}" for i in range(count)])
        return client.post("/api/v1/meetings", json=body, headers=headers)

    few_answer, few = _statements(web_app, lambda: refuse(10))
    many_answer, many = _statements(web_app, lambda: refuse(PARTICIPANTS_MAX))
    for answer in (few_answer, many_answer):
        assert answer.status_code == 422
        assert "participants" in answer.get_json()["error"]["details"]
    listed = many_answer.get_json()["error"]["details"]["participants"]
    assert listed[0] == "Không có đơn vị 'legacy:0000000'."
    assert len(listed) == ERRORS_LISTED + 1  # the first ones, then how many more
    assert listed[-1] == f"Số mục khác không hợp lệ (không liệt kê ở đây): {PARTICIPANTS_MAX - ERRORS_LISTED}."
    # the references are looked up 400 at a time: 13 statements for 5,000, not 5,000
    assert len(many) <= len(few) + PARTICIPANTS_MAX // 400, "\n".join(s[:90] for s in many)


def test_a_long_list_of_real_units_and_selectors_is_resolved_in_a_few_statements(
        web_app, client, hanoi, equipped, bridge, make_user, token_for):
    headers = token_for(make_user("admin"))
    real = ["legacy:00001", "legacy:00004", "STTTT", "communes:legacy:002", "subtree:legacy:001"]
    body = _booking(bridge.id, real * 1000)  # 5,000 entries, each named 1,000 times
    answer, statements = _statements(web_app, lambda: client.post("/api/v1/meetings", json=body, headers=headers))
    assert answer.status_code == 201, answer.get_json()
    invited = {p["unit"] for p in answer.get_json()["participants"]}
    assert invited == {"legacy:001", "legacy:00001", "legacy:00004", "legacy:00006", "STTTT",
                       "legacy:00037", "legacy:00040", "legacy:00043"}
    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM units" in s]
    assert len(lookups) <= 12, "\n".join(s[:90] for s in lookups)


def test_find_units_follows_the_rules_of_find_unit(hanoi):
    refs = ["legacy:00001", " legacy:00004 ", "2025:01", "legacy:01", "STTTT", "dept:SNV", "legacy:99999",
            "nope", "", "all:communes"]
    found = find_units(refs)
    for ref in refs:
        assert found.get(ref.strip()) == find_unit(ref), ref
    assert found["2025:01"] == found["legacy:01"] == hanoi["city"]
    assert "legacy:99999" not in found and "nope" not in found
