"""The report as plain-text tables for a terminal: the CSV's and XLSX's tables, aligned.

The same titled tables in the reader's language (`report_tables`), names first and codes after,
figures as the locale writes them ("66,7" in Vietnamese), counts right-aligned.
"""
from __future__ import annotations

import unicodedata

from .shapes import Report
from .tables import report_heading, report_tables
from .wording import Wording

#: the widest a name column gets before it is cut with "…"
NAME_WIDTH = 40


def _width(text: str) -> int:
    """Columns a text takes in a terminal: combining marks take none, wide characters two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def _cut(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _cell(value, words: Wording) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return words.figure(value)
    return str(value)


def _line(values: list[str], widths: list[int], texts: int) -> str:
    """One row: the first `texts` columns left-aligned (cut to their width), figures right-aligned."""
    out = []
    for i, (value, width) in enumerate(zip(values, widths)):
        value = _cut(value, width)
        pad = " " * (width - _width(value))
        out.append(value + pad if i < texts else pad + value)
    return "  ".join(out).rstrip()


def report_text(report: Report, words: Wording) -> str:
    """Every breakdown of the report under its title, one aligned line per row."""
    lines = [report_heading(report, words)]
    for title, headers, rows in report_tables(report, words):
        cells = [[_cell(v, words) for v in row] for row in rows]
        texts = sum(1 for v in (rows[0] if rows else []) if isinstance(v, str))  # name, code, level…
        widths = [min(NAME_WIDTH, max([_width(h)] + [_width(r[i]) for r in cells])) if i < texts
                  else max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

        lines += ["", title, _line(headers, widths, texts), *(_line(r, widths, texts) for r in cells)]
    return "\n".join(lines) + "\n"
