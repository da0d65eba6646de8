"""What the OpenAPI document says beyond APIFlask's own, from the rules the API applies.

- Route parameters: the URL rules carry no limits, so they are added from the same
  definitions: a row id is 1 to `models.base.ID_MAX` (the `int` converter answers 404 beyond),
  a unit reference at most `models.units.REF_MAX` characters, a day an ISO date.
- Text: the edge (`webapp.hardening`) refuses control characters, in JSON strings all but tab
  and line breaks (NUL is dropped), in query strings and paths every one; each free string
  says so with a `pattern` built from the edge's own character classes.
- Bodies: the schemas refuse unknown fields, so every request body says
  `additionalProperties: false`.
"""
from __future__ import annotations

from models.base import ID_MAX
from models.units import REF_MAX

from ..hardening import REFUSED_IN_JSON, REFUSED_IN_URLS

PATH_LIMITS = {"unit": {"minLength": 1, "maxLength": REF_MAX}, "day": {"format": "date"}}
JSON_TEXT = f"^[^{REFUSED_IN_JSON}]*$"
URL_TEXT = f"^[^{REFUSED_IN_URLS}]*$"


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


def constrain(spec: dict) -> dict:
    """Add these limits to the generated document (APIFlask's spec processor)."""
    seen: set[str] = set()
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.setdefault("schema", {})
                if parameter.get("in") == "path":
                    if schema.get("type") == "integer":
                        schema.update(minimum=1, maximum=ID_MAX)
                    schema.update(PATH_LIMITS.get(parameter["name"], {}))
                _text_pattern(schema, URL_TEXT)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "schema" in media:
                    _closed(media["schema"], spec, seen)
    return spec
