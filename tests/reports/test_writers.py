"""CSV and XLSX: the same figures, headers in the reader's language, numbers as the locale writes them,
rules and units by name (codes in a column of their own), no formula injection."""
import csv
import io

from openpyxl import load_workbook

from reports.csv_writer import report_csv
from reports.wording import Wording
from reports.xlsx_writer import report_xlsx
from scheduler.notices import catalog_translator

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


VI = Wording(catalog_translator()("vi"), "vi", {"commune": "Xã, phường"}.get)
EN = Wording(locale="en")


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_every_breakdown_with_vietnamese_headers():
    rows = csv_rows(report_csv(REPORT, VI))
    assert rows[0] == ["Kỳ báo cáo: Tháng 3/2019"]
    assert ["Phần", "Chỉ tiêu", "Mã", "Đã tổ chức", "Tổ chức trực tuyến", "Đã hủy",
            "Chờ kết quả", "Tỷ lệ trực tuyến (%)", "Chỉ tiêu (%)", "Chênh lệch (%)"] in rows
    by = {(r[0], r[2]): r for r in rows if len(r) > 2}
    assert by[("Theo chỉ tiêu", "below_city_30")][1:] == [
        "Họp của Sở", "below_city_30", "6", "4", "1", "1", "66,7", "30,0", "36,7"]
    assert by[("Theo chỉ tiêu", "city_80")][3:] == ["2", "1", "0", "0", "50,0", "80,0", "-30,0"]
    assert by[("Theo chỉ tiêu", "")][1:8] == ["Không thuộc chỉ tiêu nào", "", "1", "1", "0", "0", "100,0"]
    assert by[("Theo đơn vị tổ chức", "legacy:00006")][3:] == ["Xã, phường", "0", "0", "0", "1", "", "30,0", ""]
    assert by[("Theo quận, huyện", "legacy:002")][3:] == ["2", "1", "0", "0", "50,0", "30,0", "20,0"]
    assert rows[-1] == ["Tham dự", "1", "3", "2", "1", "66,7", "33,3"]
    assert not any(code in row for row in rows for code in ("commune", "not_covered"))


def test_csv_in_english_writes_english_headers_and_periods():
    rows = csv_rows(report_csv({**REPORT, "period": "2019-Q1", "frozen": True, "version": 2}, EN))
    assert rows[0] == ["Report period: Q1 2019 (Frozen version 2)"]
    assert ["Section", "Target rule", "Code", "Held", "Held online", "Cancelled", "Awaiting outcome",
            "Online ratio (%)", "Target (%)", "Gap (%)"] in rows
    assert ["By target rule", "Họp của Sở", "below_city_30", "6", "4", "1", "1", "66.7", "30.0", "36.7"] in rows


def test_csv_neutralises_formulas():
    rows = csv_rows(report_csv(REPORT, VI))
    sttt = next(r for r in rows if len(r) > 2 and r[2] == "STTTT")
    assert sttt[1] == "'=HYPERLINK(\"http://x\")"


def test_xlsx_has_a_formatted_sheet_per_breakdown():
    wb = load_workbook(io.BytesIO(report_xlsx(REPORT, VI)))
    assert wb.sheetnames == ["Theo chỉ tiêu", "Theo đơn vị tổ chức", "Theo quận, huyện", "Tham dự"]
    ws = wb["Theo chỉ tiêu"]
    assert ws["A1"].value == "Kỳ báo cáo: Tháng 3/2019"
    assert ws["A3"].value == "Chỉ tiêu" and ws["A3"].font.bold and ws.freeze_panes == "A4"
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["below_city_30"][0] == "Họp của Sở"
    assert rows["below_city_30"][2:] == (6, 4, 1, 1, 66.7, 30.0, 36.7)
    assert rows["city_80"][2:] == (2, 1, 0, 0, 50.0, 80.0, -30.0)
    assert ws["G4"].number_format == "0.0"
    districts = {r[1]: r for r in wb["Theo quận, huyện"].iter_rows(min_row=4, values_only=True)}
    assert districts["legacy:001"][2:] == (3, 2, 1, 1, 66.7, 30.0, 36.7)
    organisers = {r[1]: r for r in wb["Theo đơn vị tổ chức"].iter_rows(min_row=4, values_only=True)}
    assert organisers["legacy:00006"][2] == "Xã, phường"
    assert load_workbook(io.BytesIO(report_xlsx(REPORT, EN))).sheetnames == [
        "By target rule", "By organiser", "By district", "Attendance"]


def test_xlsx_keeps_formula_like_text_literal():
    ws = load_workbook(io.BytesIO(report_xlsx(REPORT, VI)))["Theo đơn vị tổ chức"]
    cell = next(r[0] for r in ws.iter_rows(min_row=4) if r[1].value == "STTTT")
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"


def test_periods_and_percentages_read_as_the_locale_writes_them():
    from reports.periods import parse_period
    from reports.wording import format_ratio
    assert [VI.period(parse_period(p)) for p in ("2019-03", "2019-Q1", "2019-Q4", "2019")] == [
        "Tháng 3/2019", "Quý I/2019", "Quý IV/2019", "Năm 2019"]
    assert [EN.period(parse_period(p)) for p in ("2019-12", "2019-Q2", "2019")] == [
        "December 2019", "Q2 2019", "Year 2019"]
    assert (format_ratio(88.4, "vi"), format_ratio(88.4, "en"), format_ratio(None, "vi")) == ("88,4%", "88.4%", "")
    assert (VI.figure(-30.0), EN.figure(1234.5)) == ("-30,0", "1,234.5")
