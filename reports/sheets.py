"""Any list as CSV or XLSX, with the report writers' formula-safe cells (`safe_text`, `_put`)."""
from __future__ import annotations

import csv
import io

from .csv_writer import _cell
from .wording import Wording
from .xlsx_writer import _put, header_style

Sheet = tuple[str, list[str], list[list]]  # title, headers, rows


def sheets_csv(sheets: list[Sheet], heading: str | None = None, words: Wording | None = None) -> bytes:
    """UTF-8 with a BOM; with several sheets, a first column names the one each line is from.
    With `words`, decimals are written as the reader's locale writes them ("66,7" in Vietnamese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if heading:
        writer.writerow([_cell(heading)])
    several = len(sheets) > 1
    written = None
    for title, headers, rows in sheets:
        if headers != written:  # sheets of one kind share one header line
            writer.writerow(([""] if several else []) + [_cell(h) for h in headers])
            written = headers
        for values in rows:
            writer.writerow(([_cell(title)] if several else []) + [_cell(v, words) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheets_xlsx(sheets: list[Sheet], heading: str | None = None) -> bytes:
    """One sheet per list, a bold heading, white-on-blue headers, filters and frozen panes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    header_fill, header_font = header_style()
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for title, headers, rows in sheets or [("—", [], [])]:
        name = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "—"
        while name in used:
            name += "'"
        used.add(name)
        ws = wb.create_sheet(name)
        _put(ws, 1, 1, heading or title).font = Font(bold=True, size=12)
        for c, header in enumerate(headers, start=1):
            cell = _put(ws, 3, c, header)
            cell.fill, cell.font = header_fill, header_font
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r, values in enumerate(rows, start=4):
            for c, value in enumerate(values, start=1):
                _put(ws, r, c, value)
        for c, header in enumerate(headers, start=1):
            longest = max([len(str(header))] + [len(str(v[c - 1] or "")) for v in rows])
            ws.column_dimensions[get_column_letter(c)].width = min(max(10, longest + 2), 60)
        ws.freeze_panes = "A4"
        if rows and headers:
            ws.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{len(rows) + 3}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
