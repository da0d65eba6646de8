"""What the OpenAPI document says beyond APIFlask's own, from the rules the API applies.

- Route parameters: the URL rules carry no limits, so they are added from the same
  definitions: a row id is 1 to `models.base.ID_MAX` (the `int` converter answers 404 beyond),
  a unit reference at most `models.units.REF_MAX` characters, a day an ISO date.
- Text: the edge (`webapp.hardening`) refuses control characters, in JSON strings all but tab
  and line breaks (NUL is dropped), in query strings and paths every one; each free string
  says so with a `pattern` built from the edge's own character classes.
- State: every operation that changes a meeting (a path with `meeting_id`, any verb but GET)
  may answer 409 when the meeting's state refuses it (`models.errors.StateConflict`: cancelled,
  held, started, not yet ended, nothing to publish); the same request may succeed another time.
- Uploads: the evidence form's `file` is required and not null in the document, as the verb
  refuses a form without one (422); the schema leaves it optional only so that who may attach
  is decided before what was sent (403 first).
- Bodies: the schemas refuse unknown fields, so every request body says
  `additionalProperties: false`; a body whose schema has required fields is itself required
  (`requestBody.required`: an empty request is refused like `{}`).
"""
from __future__ import annotations

from models.base import ID_MAX
from models.units import REF_MAX

from ..hardening import REFUSED_IN_JSON, REFUSED_IN_URLS

PATH_LIMITS = {"unit": {"minLength": 1, "maxLength": REF_MAX}, "day": {"format": "date"}}
JSON_TEXT = f"^[^{REFUSED_IN_JSON}]*$"
URL_TEXT = f"^[^{REFUSED_IN_URLS}]*$"
STATE_CONFLICT = {"description": "The meeting's current state refuses this (cancelled, held, started, "
                                 "not ended, nothing to publish) or it clashes with another booking",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}}


def _text_pattern(schema: dict, pattern: str) -> None:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds and not {"enum", "format", "pattern"} & set(schema):
        schema["pattern"] = pattern


def _closed(schema: dict, spec: dict, seen: set[str]) -> None:
    """A request body's schema and those nested in it: strings patterned, no unknown fields."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _closed(spec["components"]["schemas"][name], spec, seen)
        return
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        _closed(part, spec, seen)
    if "properties" in schema:
        schema["additionalProperties"] = False
        for sub in schema["properties"].values():
            _closed(sub, spec, seen)
    if "items" in schema:
        _closed(schema["items"], spec, seen)
    _text_pattern(schema, JSON_TEXT)


def _resolved(schema: dict, spec: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


#: form fields the verb requires although the schema loads them optional (see above)
REQUIRED_BY_THE_VERB = {"EvidenceUpload": ("file",)}


def constrain(spec: dict) -> dict:
    """Add these limits to the generated document (APIFlask's spec processor)."""
    seen: set[str] = set()
    for name, required in REQUIRED_BY_THE_VERB.items():
        schema = spec.get("components", {}).get("schemas", {}).get(name)
        if schema is not None:
            schema["required"] = sorted(set(schema.get("required", [])) | set(required))
            for field in required:
                schema["properties"][field] = {"type": "string", "format": "binary",
                                               "description": schema["properties"][field].get("description", "")}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.setdefault("schema", {})
                if parameter.get("in") == "path":
                    if schema.get("type") == "integer":
                        schema.update(minimum=1, maximum=ID_MAX)
                    schema.update(PATH_LIMITS.get(parameter["name"], {}))
                _text_pattern(schema, URL_TEXT)
            if method != "get" and "{meeting_id}" in path:
                operation["responses"].setdefault("409", STATE_CONFLICT)
            body = operation.get("requestBody", {})
            for media in body.get("content", {}).values():
                if "schema" in media:
                    _closed(media["schema"], spec, seen)
                    if _resolved(media["schema"], spec).get("required"):
                        body["required"] = True
    return spec
