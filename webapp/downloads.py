"""A list as a CSV or XLSX download: the `format` argument, the writers, the file name."""
from __future__ import annotations

from flask import Response, abort
from flask_babel import gettext as _

from reports.sheets import Sheet, sheets_csv, sheets_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_download(sheets: list[Sheet], fmt: str, name: str, heading: str | None = None) -> Response:
    """:raise 400: unless `fmt` is csv or xlsx."""
    if fmt == "csv":
        body, mimetype = sheets_csv(sheets, heading), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = sheets_xlsx(sheets, heading), XLSX
    else:
        abort(400, _("The format must be csv or xlsx."))
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
