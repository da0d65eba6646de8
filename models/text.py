"""Vietnamese text as data: NFC on the way in, a diacritic-free key for search."""
from __future__ import annotations

import re
import unicodedata

#: a run of line breaks (any `str.splitlines` splits on) with the spaces and tabs around it
_LINE_BREAKS = re.compile("[ \t]*(?:[\n\r\v\f\x1c-\x1e\x85\u2028\u2029][ \t]*)+")


def nfc(value: str | None) -> str | None:
    """The NFC form of a text with surrounding white space and NUL characters removed.

    NUL is dropped because PostgreSQL text cannot hold it; every other character is kept.
    """
    if value is None:
        return None
    return unicodedata.normalize("NFC", value.replace("\x00", "")).strip()


def one_line(value: str | None) -> str | None:
    """A single-line field's text: each run of line breaks, with the blanks around it, is one space.

    Applied to every `String` column (`models.base`): titles, names, places, labels are one
    line; multi-line text lives in `Text` columns (descriptions, notes, reasons) and keeps its
    line breaks. Mail headers, iCalendar SUMMARY and CSV cells then never see a line break.
    """
    if not value:
        return value
    return _LINE_BREAKS.sub(" ", value)


def has_visible(value: str | None) -> bool:
    """Whether a text shows anything: not only spaces, format marks (U+200B, U+FEFF, U+202E...)
    or control characters."""
    return bool(value) and any(unicodedata.category(ch)[0] not in ("Z", "C") for ch in value)


def search_key(value: str) -> str:
    """Lower case, no tone or vowel marks, đ as d: 'Yên Hoà' and 'Yên Hòa' both give 'yen hoa'."""
    decomposed = unicodedata.normalize("NFD", value.casefold())
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    stripped = stripped.replace("đ", "d").replace("ð", "d")
    return " ".join(stripped.split())


def contains_words(column, q: str | None) -> list:
    """SQL conditions: the search-key column holds every word of `q`, folded by `search_key`
    (LIKE's wildcards in the words are literal)."""
    conditions = []
    for word in search_key(q or "").split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(column.like(f"%{escaped}%", escape="\\"))
    return conditions
