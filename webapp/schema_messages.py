"""The API's field messages from marshmallow (APIFlask's 400/422 details) in the reader's language.

Marshmallow writes its messages in English, already formatted ("Length must be between 1 and
200."). Each stock message is listed here as a catalog message id whose placeholders stand for
marshmallow's (`{min}` → `%(min)s`); a formatted message is matched back to its id and translated
with the values it carried. Field names (the keys) stay as they are: they are the API's codes.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from models.errors import N_

#: marshmallow's stock messages (fields and validators); our schemas' own are message ids already
MESSAGES = (
    N_("Missing data for required field."), N_("Field may not be null."), N_("Invalid input type."),
    N_("Unknown field."), N_("Invalid value."), N_("Invalid type."), N_("Invalid input."),
    N_("Not a valid string."), N_("Not a valid utf-8 string."), N_("Not a valid integer."),
    N_("Not a valid number."), N_("Number too large."), N_("Not a valid boolean."),
    N_("Not a valid list."), N_("Not a valid date."), N_("Not a valid mapping type."),
    N_("String does not match expected pattern."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Length must be between %(min)s and %(max)s."), N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."), N_("Length must be %(equal)s."),
    N_("Must be one of: %(choices)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s."), N_("Must be less than or equal to %(max)s."),
)


def _pattern(msgid: str) -> re.Pattern:
    pieces = re.split(r"%\((\w+)\)s", msgid)  # text, name, text, name, ..., text
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
    return re.compile(f"^{regex}$", re.S)


EXACT = {m for m in MESSAGES if "%(" not in m}
PATTERNS = [(m, _pattern(m)) for m in MESSAGES if "%(" in m]


def translate_message(message, gettext: Callable[[str], str]):
    """One marshmallow message in the reader's language; a message we do not know, as it is."""
    if not isinstance(message, str):
        return message
    if message in EXACT:
        return gettext(message)
    for msgid, pattern in PATTERNS:
        found = pattern.match(message)
        if found:
            return gettext(msgid) % found.groupdict()
    return gettext(message)  # our own message ids (a schema's `error=`) are in the catalog too


def translate_details(details, gettext: Callable[[str], str]):
    """Every message in a (nested) details mapping translated; keys kept."""
    if isinstance(details, dict):
        return {key: translate_details(value, gettext) for key, value in details.items()}
    if isinstance(details, list):
        return [translate_details(value, gettext) for value in details]
    return translate_message(details, gettext)
