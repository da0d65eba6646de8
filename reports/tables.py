"""The report as titled tables with Vietnamese headers: what the CSV and XLSX writers lay out."""
from __future__ import annotations

from .shapes import Report, Row

HEADERS = ("Đã tổ chức", "Tổ chức trực tuyến", "Đã hủy", "Chờ kết quả", "Tỷ lệ trực tuyến (%)",
           "Chỉ tiêu (%)", "Chênh lệch (%)")
NOT_COVERED_NAME = "Không thuộc chỉ tiêu nào"


def _figures(row: Row) -> list:
    return [row["held"], row["held_online"], row["cancelled"], row["awaiting_outcome"],
            row["ratio"], row.get("target"), row.get("gap")]


def report_tables(report: Report) -> list[tuple[str, list[str], list[list]]]:
    """(sheet title, headers, rows) per breakdown: rules, organisers, districts, attendance."""
    rules = [[r["code"], r["name"], *_figures(r)] for r in report["rules"]]
    rules.append(["not_covered", NOT_COVERED_NAME, *_figures(report["not_covered"])])
    tables = [
        ("Theo chỉ tiêu", ["Mã chỉ tiêu", "Tên chỉ tiêu", *HEADERS], rules),
        ("Theo đơn vị tổ chức", ["Mã đơn vị", "Đơn vị tổ chức", "Cấp", *HEADERS],
         [[r["unit"], r.get("unit_name", ""), r.get("level", ""), *_figures(r)]
          for r in report["organizers"]]),
        ("Theo quận, huyện", ["Mã đơn vị", "Quận, huyện (gồm xã, phường)", *HEADERS],
         [[r["unit"], r.get("unit_name", ""), *_figures(r)] for r in report["districts"]]),
    ]
    if report.get("attendance"):
        a = report["attendance"]
        tables.append(("Tham dự", ["Cuộc họp trực tuyến đã tổ chức", "Lượt đơn vị được mời",
                                   "Đã kết nối", "Đã xác nhận trước", "Tỷ lệ kết nối (%)",
                                   "Tỷ lệ xác nhận trước (%)"],
                       [[a["meetings"], a["invited"], a["connected"], a["confirmed_before"],
                         a["connected_share"], a["confirmed_share"]]]))
    return tables


def safe_text(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
