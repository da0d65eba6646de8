"""The report as XLSX (openpyxl): one formatted sheet per breakdown, in the reader's language."""
from __future__ import annotations

import io

from .shapes import Report
from .tables import report_heading, report_tables
from .wording import Wording

# openpyxl is imported by the writers, not here: ~15 MB a server worker carries only once it
# has written a spreadsheet (#17: workers under 150 MB).


def header_style():
    """The header cells' fill and font (white on blue)."""
    from openpyxl.styles import Font, PatternFill
    return PatternFill("solid", fgColor="1F4E79"), Font(bold=True, color="FFFFFF")


def _put(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # a literal: never read as a formula
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def report_xlsx(report: Report, words: Wording) -> bytes:
    """Figures in, bytes out; ratios stay numbers (one decimal), shown as the reader's Excel writes them."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    header_fill, header_font = header_style()
    wb = Workbook()
    wb.remove(wb.active)
    label = report_heading(report, words)
    for title, headers, rows in report_tables(report, words):
        ws = wb.create_sheet(title[:31])
        _put(ws, 1, 1, label).font = Font(bold=True, size=12)
        for c, header in enumerate(headers, start=1):
            cell = _put(ws, 3, c, header)
            cell.fill, cell.font = header_fill, header_font
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r, values in enumerate(rows, start=4):
            for c, value in enumerate(values, start=1):
                cell = _put(ws, r, c, value)
                if isinstance(value, float):
                    cell.number_format = "0.0"
        for c, header in enumerate(headers, start=1):
            longest = max([len(str(header)) // 2 + 2] + [len(str(v[c - 1] or "")) for v in rows])
            ws.column_dimensions[get_column_letter(c)].width = min(max(10, longest + 2), 60)
        ws.row_dimensions[3].height = 32
        ws.freeze_panes = "A4"
        if rows:
            ws.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{len(rows) + 3}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
