"""The report as CSV: UTF-8 with a BOM (Excel opens it right), one block per breakdown."""
from __future__ import annotations

import csv
import io

from .shapes import Report
from .tables import report_tables, safe_text


def _cell(value):
    if value is None:
        return ""
    return safe_text(value)


def report_csv(report: Report) -> bytes:
    """Figures in, bytes out: a first column names the breakdown each line belongs to."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Kỳ báo cáo", report["period"]])
    if report.get("frozen"):
        writer.writerow(["Phiên bản chốt", report["version"]])
    for title, headers, rows in report_tables(report):
        writer.writerow([])
        writer.writerow(["Phần", *headers])
        for values in rows:
            writer.writerow([title, *(_cell(v) for v in values)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
