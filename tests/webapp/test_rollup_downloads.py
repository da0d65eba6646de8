"""The "as of today" roll-up as CSV, XLSX and through the API (#18), with the API's error format."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.reports.test_across_the_reform import local


@pytest.fixture
def held(city, make_meeting):
    """Two meetings of Phường Ngọc Hà before the reform (one online), one of the new Ngọc Hà after."""
    make_meeting(city["old"]["ngoc_ha"], local(2025, 6, 10), status="held", outcome_mode="online")
    make_meeting(city["old"]["ngoc_ha"], local(2025, 6, 17), status="held", outcome_mode="in_person")
    make_meeting(city["new"]["ngoc_ha"], local(2025, 8, 5), status="held", outcome_mode="online")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_page_downloads_the_rollup_as_csv_and_xlsx(client, auth, make_user, held):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio/as-of-today?period=2025").get_data(as_text=True)
    assert "/reports/online-ratio/as-of-today?period=2025&amp;format=csv" in page
    r = client.get("/reports/online-ratio/as-of-today?period=2025&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="ty-le-hop-truc-tuyen-den-nay-2025.csv"' in r.headers["Content-Disposition"]
    lines = _csv(r)
    assert "2025" in lines[0][0]  # the heading names the period and says what the figures are
    by_code = {line[1]: line for line in lines[2:]}
    assert by_code["2025:00004"][3:6] == ["3", "2", "66,7"]  # old and new Ngọc Hà under today's
    assert lines[-1][3:5] == ["3", "2"]                        # the total: the historic total
    english = _csv(client.get("/reports/online-ratio/as-of-today?period=2025&format=csv&lang=en"))
    assert {line[1]: line for line in english[2:]}["2025:00004"][3:6] == ["3", "2", "66.7"]
    x = client.get("/reports/online-ratio/as-of-today?period=2025&format=xlsx")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(x.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert [row[3:6] for row in rows if row[1] == "2025:00004"] == [[3, 2, 66.7]]
    assert client.get("/reports/online-ratio/as-of-today?period=2025&format=pdf").status_code == 400


def test_the_api_answers_the_rollup_as_json_csv_and_xlsx(client, make_user, token_for, held):
    headers = token_for(make_user("admin"))
    r = client.get("/api/v1/reports/online-ratio/as-of-today?period=2025", headers=headers)
    assert r.status_code == 200, r.json
    assert r.json["period"] == "2025" and r.json["rule"] == "seat" and r.json["as_of"]
    [row] = [row for row in r.json["rows"] if row["unit"] == "2025:00004"]
    assert (row["held"], row["held_online"], row["ratio"], row["no_successor"]) == (3, 2, 66.7, False)
    assert [f["unit"] for f in row["from"]] == ["legacy:00016"]
    assert r.json["total"]["held"] == 3
    report = client.get("/api/v1/reports/online-ratio?period=2025", headers=headers).json
    assert r.json["total"]["held"] == sum(o["held"] for o in report["organizers"])
    c = client.get("/api/v1/reports/online-ratio/as-of-today?period=2025&format=csv", headers=headers)
    assert c.status_code == 200 and {line[1] for line in _csv(c)[2:]} >= {"2025:00004"}
    x = client.get("/api/v1/reports/online-ratio/as-of-today?period=2025&format=xlsx", headers=headers)
    assert x.status_code == 200 and load_workbook(io.BytesIO(x.get_data())).active["B4"].value


@pytest.mark.parametrize("query, field", [("period=2025-13", "period"), ("", "period"),
                                          ("period=2025&format=pdf", "format")])
def test_bad_rollup_queries_are_422_naming_the_field(client, city, make_user, token_for, query, field):
    r = client.get(f"/api/v1/reports/online-ratio/as-of-today?{query}", headers=token_for(make_user("admin")))
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid" and field in r.json["error"]["details"]


def test_a_clerk_is_refused_the_rollup_in_the_apis_format(client, city, make_user, token_for):
    clerk = make_user("clerk", city["new"]["ngoc_ha"])
    r = client.get("/api/v1/reports/online-ratio/as-of-today?period=2025", headers=token_for(clerk))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/reports/online-ratio/as-of-today?period=2025").status_code == 401
