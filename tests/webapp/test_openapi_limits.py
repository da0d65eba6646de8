"""The OpenAPI document states every input's limits, read from the one definition in models/,
so generated clients and schemathesis know what the API accepts."""
from __future__ import annotations

import pytest

from config import TestConfig
from models.base import ID_MAX
from models.endpoints import ADDRESS_MAX, BANDWIDTH_MAX_KBPS, KINDS
from models.meetings import CAPACITY_MAX, CATEGORIES, REASON_MAX, SELECTOR_MAX, TITLE_MAX
from models.units import REF_MAX
from webapp import create_app


@pytest.fixture(scope="module")
def document() -> dict:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def unbounded(schema: dict, doc: dict, where: str) -> list[str]:
    """Each input value the document leaves without a limit: a string with no length, enum,
    format or pattern; a number with no minimum or maximum; a list with no maximum size."""
    schema = _resolve(schema, doc)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    found = []
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        found += unbounded(part, doc, where)
    if kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            found += unbounded(sub, doc, f"{where}.{name}")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: no maxItems")
        found += unbounded(schema.get("items", {}), doc, f"{where}[]")
    elif kind == "string" and not {"maxLength", "enum", "format", "pattern"} & set(schema):
        found.append(f"{where}: no maxLength, enum, format or pattern")
    elif kind in ("integer", "number") and not {"minimum", "maximum"} <= set(schema):
        found.append(f"{where}: no minimum and maximum")
    return found


def inputs(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for p in op.get("parameters", []):
                yield f"{method.upper()} {path} {p['in']}:{p['name']}", p.get("schema", {}), op
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                yield f"{method.upper()} {path} body", body, op


def test_every_input_has_its_limits_in_the_document(document):
    found = [line for where, schema, _op in inputs(document) for line in unbounded(schema, document, where)]
    assert found == []


def _property(document, path: str, method: str, *names: str) -> dict:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    schema = _resolve(body, document)
    for name in names:
        schema = _resolve(schema["properties"][name], document)
    return schema


def test_the_limits_are_the_models_own(document):
    assert _property(document, "/api/v1/meetings", "post", "title")["maxLength"] == TITLE_MAX
    assert _property(document, "/api/v1/meetings", "post", "category")["enum"] == list(CATEGORIES)
    assert _property(document, "/api/v1/meetings", "post", "organizer")["maxLength"] == REF_MAX
    assert _property(document, "/api/v1/meetings", "post", "participants")["items"]["maxLength"] == SELECTOR_MAX
    assert _property(document, "/api/v1/meetings/{meeting_id}/cancel", "post", "reason")["maxLength"] == REASON_MAX
    assert _property(document, "/api/v1/bridges", "post", "capacity")["maximum"] == CAPACITY_MAX
    assert _property(document, "/api/v1/units/{unit}/endpoints", "post", "address")["maxLength"] == ADDRESS_MAX
    assert _property(document, "/api/v1/units/{unit}/endpoints", "post", "kind")["enum"] == list(KINDS)
    checks = _property(document, "/api/v1/endpoints/{endpoint_id}/checks", "post", "bandwidth_kbps")
    assert (checks["minimum"], checks["maximum"]) == (0, BANDWIDTH_MAX_KBPS)
    [meeting_id] = [p for p in document["paths"]["/api/v1/meetings/{meeting_id}"]["get"]["parameters"]
                    if p["name"] == "meeting_id"]
    assert (meeting_id["schema"]["minimum"], meeting_id["schema"]["maximum"]) == (1, ID_MAX)
    [unit] = [p for p in document["paths"]["/api/v1/units/{unit}"]["get"]["parameters"] if p["name"] == "unit"]
    assert unit["schema"]["maxLength"] == REF_MAX


def test_the_verbs_refuse_what_the_document_refuses(client, hanoi, token_for, make_user):
    """The document's limit and the verb's are one number: at the limit accepted, past it refused."""
    headers = token_for(make_user("admin"))
    ok = client.post("/api/v1/units/legacy:00001/endpoints", headers=headers,
                     json={"name": "Phòng họp", "kind": "software", "address": "x" * ADDRESS_MAX})
    assert ok.status_code == 201, ok.get_json()
    refused = client.post("/api/v1/units/legacy:00001/endpoints", headers=headers,
                          json={"name": "Phòng họp", "kind": "software", "address": "x" * (ADDRESS_MAX + 1)})
    assert refused.status_code == 422 and "address" in str(refused.get_json()["error"]["details"])


def test_a_json_boolean_is_true_or_false_only(client, hanoi, equipped, token_for, make_user):
    """The document says `boolean`: 0, 1 or "yes" are refused, as a client generated from it expects
    (the live schemathesis run found `"video_ok": 0` accepted)."""
    headers = token_for(make_user("admin"))
    endpoint = equipped["city"].id
    for value in (0, 1, "yes"):
        r = client.post(f"/api/v1/endpoints/{endpoint}/checks", headers=headers,
                        json={"passed": True, "video_ok": value})
        assert r.status_code == 422 and "video_ok" in str(r.get_json()["error"]["details"]), value
        r = client.post(f"/api/v1/endpoints/{endpoint}/checks", headers=headers, json={"passed": value})
        assert r.status_code == 422, value
    assert client.post(f"/api/v1/endpoints/{endpoint}/checks", headers=headers,
                       json={"passed": True, "video_ok": False}).status_code == 201


def test_a_json_integer_is_an_integer(client, hanoi, equipped, token_for, make_user):
    """2.6e-42 is not a number of kbit/s (it was read as 0; found by the live run)."""
    headers = token_for(make_user("admin"))
    r = client.post(f"/api/v1/endpoints/{equipped['city'].id}/checks", headers=headers,
                    json={"passed": True, "bandwidth_kbps": 2.5890419884777833e-42})
    assert r.status_code == 422 and "bandwidth_kbps" in str(r.get_json()["error"]["details"])


def test_a_json_integer_may_be_written_with_a_zero_fraction(client, hanoi, equipped, token_for, make_user):
    """JSON Schema's `integer` includes 3.0: a bridge's capacity of 13726.0 was refused (the live
    run with positive-data acceptance); 1.5 and "3" still are."""
    headers = token_for(make_user("admin"))
    r = client.post("/api/v1/bridges", headers=headers, json={"name": "MCU dự phòng", "capacity": 12.0})
    assert r.status_code == 201 and r.get_json()["capacity"] == 12
    for value in (1.5, "3", True):
        r = client.post("/api/v1/bridges", headers=headers, json={"name": f"MCU {value!r}", "capacity": value})
        assert r.status_code == 422 and "capacity" in r.get_json()["error"]["details"], value


def test_a_period_is_documented_within_the_years_the_reports_read(document):
    import re

    from reports.periods import FIRST_YEAR, LAST_YEAR, parse_period
    params = document["paths"]["/api/v1/reports/online-ratio"]["get"]["parameters"]
    pattern = re.compile(next(p for p in params if p["name"] == "period")["schema"]["pattern"])
    for year in range(1000, 10000):
        documented = bool(pattern.match(f"{year}-Q2"))
        assert documented == (FIRST_YEAR <= year <= LAST_YEAR), year
        if documented:
            parse_period(f"{year}-03")


def test_a_body_with_required_fields_is_required_and_meeting_verbs_document_409(document):
    missing, undocumented = [], []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            for media in (body or {}).get("content", {}).values():
                if _resolve(media["schema"], document).get("required") and not body.get("required"):
                    missing.append(f"{method} {path}")
            if method != "get" and "{meeting_id}" in path and "409" not in operation["responses"]:
                undocumented.append(f"{method} {path}")
    assert not missing and not undocumented, (missing, undocumented)
    assert document["paths"]["/api/v1/bridges"]["post"]["requestBody"]["required"] is True


def test_slot_participants_fit_a_request_line(client, hanoi, token_for, make_user):
    """The query's participants are ASCII codes and selectors, short enough for the server's
    request line once percent-encoded (a 414 is not a documented answer)."""
    from webapp.api.meeting_schemas import QUERY_PARTICIPANTS_MAX
    assert QUERY_PARTICIPANTS_MAX * 3 + 500 <= 8190
    headers = token_for(make_user("organizer", hanoi["city"]))
    query = "duration=60&from=2019-03-04T08:00:00&to=2019-03-08T17:00:00&participants="
    r = client.get(f"/api/v1/slots?{query}Phường", headers=headers)
    assert r.status_code == 422 and "participants" in str(r.get_json()["error"]["details"])
    r = client.get(f"/api/v1/slots?{query}" + "x" * (QUERY_PARTICIPANTS_MAX + 1), headers=headers)
    assert r.status_code == 422
    assert client.get(f"/api/v1/slots?{query}all:districts_and_communes,legacy:00001",
                      headers=headers).status_code == 200


def test_bodies_are_closed_and_text_says_which_characters_the_edge_refuses(document):
    """A body with a field the schema does not know is refused, and so is a control character:
    the document says both (the live run's positive-data check found each refused unannounced)."""
    import re
    for where, schema, _op in inputs(document):
        if where.endswith(" body"):
            assert _resolve(schema, document).get("additionalProperties") is False, where
    title = _property(document, "/api/v1/meetings", "post", "title")
    pattern = re.compile(title["pattern"])
    assert pattern.match("Giao ban\ntuần\t2") and not pattern.match("Giao ban\x0b") \
        and not pattern.match("Giao\x85ban")
    [unit] = [p for p in document["paths"]["/api/v1/meetings"]["get"]["parameters"] if p["name"] == "unit"]
    assert not re.match(unit["schema"]["pattern"], "legacy:\t00001")
    outcome = _resolve(_property(document, "/api/v1/meetings", "post", "outcome"), document)
    assert outcome.get("additionalProperties") is False or any(
        _resolve(s, document).get("additionalProperties") is False for s in outcome.get("anyOf", []) +
        outcome.get("allOf", []) + outcome.get("oneOf", []))


def test_allow_lists_the_documented_methods_of_the_roll_call_outcome(document):
    """`PUT /roll-call/{unit}` used to claim `/roll-call/outcome` too, so OPTIONS allowed PUT there,
    which the document does not list (found by the live run's Allow check)."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    allow = app.test_client().options("/api/v1/meetings/1/roll-call/outcome").headers["Allow"]
    documented = {m.upper() for m in document["paths"]["/api/v1/meetings/{meeting_id}/roll-call/outcome"]}
    assert {m.strip() for m in allow.split(",")} - {"OPTIONS", "HEAD"} == documented == {"GET"}
