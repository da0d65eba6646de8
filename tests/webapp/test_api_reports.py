"""API: the ratio report as JSON, CSV and XLSX; scope, errors and frozen versions."""
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from models import db
from reports.snapshots import freeze_report
from tests.reports.cases import EXPECTED_MARCH, NOW, build_cases, by_key, counts


@pytest.fixture
def cases(hanoi, make_meeting):
    return build_cases(hanoi, make_meeting)


@pytest.fixture
def admin_headers(make_user, token_for):
    return token_for(make_user("admin"))


def test_march_as_json(client, cases, admin_headers):
    r = client.get("/api/v1/reports/online-ratio?period=2019-03", headers=admin_headers)
    assert r.status_code == 200, r.json
    assert r.json["period"] == "2019-03" and r.json["frozen"] is False
    assert by_key(r.json) == EXPECTED_MARCH
    assert r.json["attendance"] == {"meetings": 1, "invited": 3, "connected": 2, "confirmed_before": 1,
                                    "connected_share": 66.7, "confirmed_share": 33.3}


@pytest.mark.parametrize("period, label, below", [
    ("2019-Q1", "2019-Q1", counts(7, 5, 1, 1, 71.4)),
    ("2019-q1", "2019-Q1", counts(7, 5, 1, 1, 71.4)),
    ("2019", "2019", counts(8, 5, 1, 1, 62.5)),
    ("2019-07", "2019-07", counts(0, 0, 0, 0, None)),
])
def test_quarter_year_and_empty_period(client, cases, admin_headers, period, label, below):
    r = client.get(f"/api/v1/reports/online-ratio?period={period}", headers=admin_headers)
    assert r.status_code == 200 and r.json["period"] == label
    rule = by_key(r.json)["rules"]["below_city_30"]
    assert {k: rule[k] for k in below} == below


@pytest.mark.parametrize("query, field", [
    ("period=2019-13", "period"), ("period=2019-Q0", "period"), ("", "period"),
    ("period=2019-03&format=pdf", "format"), ("period=2019-03&version=0", "version"),
])
def test_bad_queries_are_422_with_the_field(client, hanoi, admin_headers, query, field):
    r = client.get(f"/api/v1/reports/online-ratio?{query}", headers=admin_headers)
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid" and field in r.json["error"]["details"]


def test_csv_and_xlsx_carry_the_same_figures(client, cases, admin_headers):
    r = client.get("/api/v1/reports/online-ratio?period=2019-03&format=csv", headers=admin_headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "ty-le-hop-truc-tuyen-2019-03.csv" in r.headers["Content-Disposition"]
    rows = {(row[0], row[2]): row for row in csv.reader(io.StringIO(r.get_data().decode("utf-8-sig")))
            if len(row) > 2}
    for code, expected in EXPECTED_MARCH["rules"].items():  # numbers as Vietnamese writes them
        assert rows[("Theo chỉ tiêu", code)][3:] == [
            str(expected[k]).replace(".", ",") for k in ("held", "held_online", "cancelled", "awaiting_outcome",
                                       "ratio", "target", "gap")]
    r = client.get("/api/v1/reports/online-ratio?period=2019-03&format=xlsx", headers=admin_headers)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.get_data()))
    districts = {row[1]: row for row in wb["Theo quận, huyện"].iter_rows(min_row=4, values_only=True)}
    for ref, expected in EXPECTED_MARCH["districts"].items():
        assert districts[ref][2:] == tuple(expected[k] for k in (
            "held", "held_online", "cancelled", "awaiting_outcome", "ratio", "target", "gap"))
    organizers = {row[1]: row for row in wb["Theo đơn vị tổ chức"].iter_rows(min_row=4, values_only=True)}
    assert set(organizers) == set(EXPECTED_MARCH["organizers"])


def test_cli_prints_the_same_figures(runner, cases, tmp_path):
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert by_key(json.loads(result.output)) == EXPECTED_MARCH
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03"])
    assert result.exit_code == 0  # the terminal's table: the files' tables, in Vietnamese by default
    assert result.output.startswith("Kỳ báo cáo: Tháng 3/2019\n") and "\nTheo chỉ tiêu\n" in result.output
    line = next(x for x in result.output.splitlines() if " below_city_30 " in x)
    assert line.split()[-8:] == ["below_city_30", "6", "4", "1", "1", "66,7", "30,0", "36,7"]
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03", "--lang", "en"])
    assert result.exit_code == 0 and "\nBy target rule\n" in result.output
    line = next(x for x in result.output.splitlines() if " below_city_30 " in x)
    assert line.split()[-8:] == ["below_city_30", "6", "4", "1", "1", "66.7", "30.0", "36.7"]
    out = tmp_path / "march.xlsx"
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03", "--format", "xlsx",
                                 "--output", str(out)])
    assert result.exit_code == 0
    rules = {row[1]: row for row in load_workbook(out)["Theo chỉ tiêu"].iter_rows(min_row=4, values_only=True)}
    assert rules["city_80"][2:] == (2, 1, 0, 0, 50.0, 80.0, -30.0)
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03", "--format", "csv"])
    rows = {(row[0], row[2]): row for row in csv.reader(io.StringIO(result.output.lstrip("\ufeff")))
            if len(row) > 2}
    assert rows[("Theo chỉ tiêu", "below_city_30")][3:] == ["6", "4", "1", "1", "66,7", "30,0", "36,7"]
    result = runner.invoke(args=["report", "online-ratio", "--period", "march"])
    assert result.exit_code == 2 and "--period" in result.output


def test_cli_freezes_and_reads_a_version(runner, cases):
    result = runner.invoke(args=["report", "freeze", "--period", "2019-03"])
    assert result.exit_code == 0 and "version 1" in result.output
    result = runner.invoke(args=["report", "online-ratio", "--period", "2019-03", "--version", "1",
                                 "--format", "json"])
    data = json.loads(result.output)
    assert data["frozen"] is True and by_key(data) == EXPECTED_MARCH


def test_viewer_sees_only_their_scope(client, cases, hanoi, make_user, token_for):
    headers = token_for(make_user("viewer", hanoi["hoan_kiem"]))
    r = client.get("/api/v1/reports/online-ratio?period=2019-03", headers=headers)
    assert r.status_code == 200
    assert [d["unit"] for d in r.json["districts"]] == ["legacy:002"]
    assert {o["unit"] for o in r.json["organizers"]} == {"legacy:00037", "legacy:00043"}
    assert by_key(r.json)["rules"]["below_city_30"] == {**counts(2, 1, 0, 0, 50.0), "target": 30.0,
                                                        "gap": 20.0}
    assert r.json["not_covered"]["held"] == 0 and r.json["attendance"]["invited"] == 0


def test_clerk_is_refused_and_anonymous_is_401(client, hanoi, make_user, token_for):
    headers = token_for(make_user("clerk", hanoi["phuc_xa"]))
    r = client.get("/api/v1/reports/online-ratio?period=2019-03", headers=headers)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/reports/online-ratio?period=2019-03").status_code == 401


def test_frozen_version_by_the_api(client, cases, admin_headers):
    freeze_report("2019-03", None, NOW)
    cases[5].status = "held"
    cases[5].outcome_mode = "online"
    db.session.commit()
    r = client.get("/api/v1/reports/online-ratio?period=2019-03&version=1", headers=admin_headers)
    assert r.status_code == 200 and r.json["frozen"] is True and r.json["version"] == 1
    assert by_key(r.json) == EXPECTED_MARCH
    live = client.get("/api/v1/reports/online-ratio?period=2019-03", headers=admin_headers).json
    assert live["rules"][0]["held"] == 7 and live["rules"][0]["cancelled"] == 0
    r = client.get("/api/v1/reports/online-ratio?period=2019-03&version=9", headers=admin_headers)
    assert r.status_code == 404 and "version" in r.json["error"]["details"]


def test_openapi_describes_the_report(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/reports/online-ratio"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"period", "format", "version"}
    schemas = doc["components"]["schemas"]
    report = next(v for k, v in schemas.items() if k.startswith("RatioReport"))
    assert {"period", "rules", "not_covered", "organizers", "districts"} <= set(report["properties"])


def test_the_files_follow_accept_language(client, cases, admin_headers):
    url = "/api/v1/reports/online-ratio?period=2019-Q1&format=csv"
    vi = client.get(url, headers=admin_headers)
    en = client.get(url, headers={**admin_headers, "Accept-Language": "en"})
    assert vi.get_data().decode("utf-8-sig").startswith("Kỳ báo cáo: Quý I/2019\r\n")
    text = en.get_data().decode("utf-8-sig")
    assert text.startswith("Report period: Q1 2019\r\n") and "By target rule" in text
    assert vi.headers["ETag"] != en.headers["ETag"]
