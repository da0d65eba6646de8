"""What the OpenAPI document says beyond APIFlask's own: the limits of the route parameters.

The body and query limits come from the schemas, which read them from `models/`; the path
parameters come from the URL rules, which carry no limits, so they are added here from the
same definitions: a row id is 1 to `models.base.ID_MAX` (the `int` converter answers 404
beyond), a unit reference at most `models.units.REF_MAX` characters, a day an ISO date.
"""
from __future__ import annotations

from models.base import ID_MAX
from models.units import REF_MAX

PATH_LIMITS = {"unit": {"minLength": 1, "maxLength": REF_MAX}, "day": {"format": "date"}}


def constrain(spec: dict) -> dict:
    """Add the route parameters' limits to the generated document (APIFlask's spec processor)."""
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":
                    continue
                schema = parameter.setdefault("schema", {})
                if schema.get("type") == "integer":
                    schema.update(minimum=1, maximum=ID_MAX)
                schema.update(PATH_LIMITS.get(parameter["name"], {}))
    return spec
