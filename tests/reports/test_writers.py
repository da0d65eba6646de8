"""CSV and XLSX: the same figures, Vietnamese headers, no formula injection."""
import csv
import io

from openpyxl import load_workbook

from reports.csv_writer import report_csv
from reports.xlsx_writer import report_xlsx

from .cases import EXPECTED_MARCH

REPORT = {
    "period": "2019-03", "frozen": False, "version": None,
    "rules": [{"code": code, "name": name, **EXPECTED_MARCH["rules"][code]}
              for code, name in (("below_city_30", "Họp của Sở"), ("city_80", "Họp của Thành phố"))],
    "not_covered": EXPECTED_MARCH["not_covered"],
    "organizers": [{"unit": u, "unit_name": "=HYPERLINK(\"http://x\")" if u == "STTTT" else u,
                    "level": "commune", **row} for u, row in EXPECTED_MARCH["organizers"].items()],
    "districts": [{"unit": u, "unit_name": u, **row} for u, row in EXPECTED_MARCH["districts"].items()],
    "attendance": {"meetings": 1, "invited": 3, "connected": 2, "confirmed_before": 1,
                   "connected_share": 66.7, "confirmed_share": 33.3},
}


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_every_breakdown_with_vietnamese_headers():
    rows = csv_rows(report_csv(REPORT))
    assert rows[0] == ["Kỳ báo cáo", "2019-03"]
    assert ["Phần", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đã tổ chức", "Tổ chức trực tuyến", "Đã hủy",
            "Chờ kết quả", "Tỷ lệ trực tuyến (%)", "Chỉ tiêu (%)", "Chênh lệch (%)"] in rows
    by = {(r[0], r[1]): r for r in rows if len(r) > 2}
    assert by[("Theo chỉ tiêu", "below_city_30")][3:] == ["6", "4", "1", "1", "66.7", "30.0", "36.7"]
    assert by[("Theo chỉ tiêu", "city_80")][3:] == ["2", "1", "0", "0", "50.0", "80.0", "-30.0"]
    assert by[("Theo chỉ tiêu", "not_covered")][3:8] == ["1", "1", "0", "0", "100.0"]
    assert by[("Theo đơn vị tổ chức", "legacy:00006")][4:] == ["0", "0", "0", "1", "", "30.0", ""]
    assert by[("Theo quận, huyện", "legacy:002")][3:] == ["2", "1", "0", "0", "50.0", "30.0", "20.0"]
    assert by[("Tham dự", "1")][1:] == ["1", "3", "2", "1", "66.7", "33.3"]


def test_csv_neutralises_formulas():
    rows = csv_rows(report_csv(REPORT))
    sttt = next(r for r in rows if len(r) > 1 and r[1] == "STTTT")
    assert sttt[2] == "'=HYPERLINK(\"http://x\")"


def test_xlsx_has_a_formatted_sheet_per_breakdown():
    wb = load_workbook(io.BytesIO(report_xlsx(REPORT)))
    assert wb.sheetnames == ["Theo chỉ tiêu", "Theo đơn vị tổ chức", "Theo quận, huyện", "Tham dự"]
    ws = wb["Theo chỉ tiêu"]
    assert ws["A3"].value == "Mã chỉ tiêu" and ws["A3"].font.bold and ws.freeze_panes == "A4"
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["below_city_30"][2:] == (6, 4, 1, 1, 66.7, 30.0, 36.7)
    assert rows["city_80"][2:] == (2, 1, 0, 0, 50.0, 80.0, -30.0)
    assert ws["G4"].number_format == "0.0"
    districts = {r[0]: r for r in wb["Theo quận, huyện"].iter_rows(min_row=4, values_only=True)}
    assert districts["legacy:001"][2:] == (3, 2, 1, 1, 66.7, 30.0, 36.7)


def test_xlsx_keeps_formula_like_text_literal():
    ws = load_workbook(io.BytesIO(report_xlsx(REPORT)))["Theo đơn vị tổ chức"]
    cell = next(r[1] for r in ws.iter_rows(min_row=4) if r[0].value == "STTTT")
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"
