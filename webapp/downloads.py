"""A list as a CSV or XLSX download: the `format` argument, the writers, the file name."""
from __future__ import annotations

from flask import Response, abort
from flask_babel import gettext as _

from reports.sheets import Sheet, sheets_csv, sheets_xlsx

from .labels import report_wording

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_download(sheets: list[Sheet], fmt: str, name: str, heading: str | None = None) -> Response:
    """:raise 400: unless `fmt` is csv or xlsx."""
    if fmt == "csv":
        body, mimetype = sheets_csv(sheets, heading, report_wording()), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = sheets_xlsx(sheets, heading), XLSX
    else:
        abort(400, _("The format must be csv or xlsx."))
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _ascii_name(filename: str) -> str:
    """The file name without marks (đ as d) and without characters a quoted-string cannot hold."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if c.isascii() and c.isprintable() and c not in '"\\;')
    return plain.strip() or "document"


def file_download(data: bytes, filename: str, content_type: str) -> Response:
    """A stored file as an attachment: RFC 6266 with an ASCII `filename` and the exact UTF-8
    name in `filename*` (RFC 5987), and nosniff so a browser never reads it as another type."""
    from urllib.parse import quote

    disposition = f"attachment; filename=\"{_ascii_name(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(data, mimetype=content_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                             "Cache-Control": "private, no-store"})
