"""The report as CSV: UTF-8 with a BOM (Excel opens it right), one block per breakdown."""
from __future__ import annotations

import csv
import io

from models.errors import N_

from .shapes import Report
from .tables import report_heading, report_tables, safe_text
from .wording import Wording


def _cell(value, words: Wording | None = None):
    if value is None:
        return ""
    if isinstance(value, float) and words is not None:
        return words.figure(value)  # "66,7" in Vietnamese
    return safe_text(value)


def report_csv(report: Report, words: Wording) -> bytes:
    """Figures in, bytes out, in the reader's language: a first column names each line's breakdown."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([report_heading(report, words)])
    for title, headers, rows in report_tables(report, words):
        writer.writerow([])
        writer.writerow([words(N_("Section")), *headers])
        for values in rows:
            writer.writerow([title, *(_cell(v, words) for v in values)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
