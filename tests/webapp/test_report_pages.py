"""Report pages: figures with links, charts, live and frozen, downloads, target rules, scope."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditLog, TargetRule, db
from tests.reports.cases import EXPECTED_MARCH, build_cases

FIELDS = ("held", "held_online", "cancelled", "awaiting_outcome", "ratio", "target", "gap")


@pytest.fixture
def cases(hanoi, make_meeting):
    return build_cases(hanoi, make_meeting)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def figures(page: str, testid: str) -> dict:
    """The numbers the page shows in a row's cells, read back as the JSON would have them."""
    out = {}
    for field in FIELDS:
        cell = re.search(rf'data-testid="{re.escape(testid)}-{field}">(.*?)</td>', page, re.S).group(1)
        text = re.sub(r"<[^>]+>", "", cell).strip()
        out[field] = None if text == "—" else (int(text) if field in FIELDS[:4] else float(text.replace(",", ".")))
    return out


def test_page_shows_the_hand_worked_figures_with_links(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    r = client.get("/reports/online-ratio?period=2019-03")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for code, expected in EXPECTED_MARCH["rules"].items():
        assert figures(page, f"rule-{code}") == expected
    assert {k: v for k, v in figures(page, "not_covered").items() if k not in ("target", "gap")} \
        == EXPECTED_MARCH["not_covered"]
    for ref, expected in EXPECTED_MARCH["districts"].items():
        assert figures(page, f"district-{ref}") == expected
    for ref, expected in EXPECTED_MARCH["organizers"].items():
        assert figures(page, f"organizer-{ref}") == expected
    assert 'class="badge text-bg-success" data-testid="report-state"' in page  # live, not frozen
    assert page.count("<svg class=\"report-chart\"") == 3
    assert 'href="/reports/online-ratio/meetings?period=2019-03&amp;kind=held&amp;rule=below_city_30"' in page
    assert re.search(r'data-testid="attendance-connected"><a href="[^"]+">66,7%', page)
    assert re.search(r'data-testid="attendance-confirmed"><a href="[^"]+">33,3%', page)
    assert ' style="' not in page and "<script>" not in page


def test_every_link_leads_to_as_many_meetings_as_it_says(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    cells = re.findall(r'data-testid="[^"]+-(?:held|held_online|cancelled|awaiting_outcome)">'
                       r'<a href="([^"]+)">(\d+)</a>', page)
    assert len(cells) == 4 * (2 + 1 + 2 + 8)
    for href, number in cells:
        listing = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
        shown = re.search(r'data-testid="meeting-count">(\d+)', listing).group(1)
        assert (shown, listing.count('data-testid="meeting-row"')) == (number, int(number)), href


def test_drill_down_rows_link_to_the_meetings(client, cases, make_user, auth):
    auth.login(make_user("viewer", cases[1].organizer))
    page = client.get("/reports/online-ratio/meetings?period=2019-03&district=legacy:001&kind=awaiting")
    assert page.status_code == 200
    assert f'href="/meetings/{cases[6].id}"' in page.get_data(as_text=True)
    assert client.get("/reports/online-ratio/meetings?period=2019-03&district=legacy:002").status_code == 403
    assert client.get("/reports/online-ratio/meetings?period=2019-03&unit=nowhere").status_code == 404
    assert client.get("/reports/online-ratio/meetings?period=2019-03&rule=zzz").status_code == 404
    assert client.get("/reports/online-ratio/meetings?period=2019-03&kind=zzz").status_code == 400
    assert client.get("/reports/online-ratio/meetings?period=03-2019").status_code == 400


def test_viewer_sees_only_their_scope_and_clerk_none(client, cases, hanoi, make_user, auth):
    auth.login(make_user("viewer", hanoi["ba_dinh"]))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert 'data-testid="district-legacy:001-held"' in page
    assert "legacy:002" not in page and "Sở Thông tin" not in page
    assert figures(page, "rule-below_city_30")["held"] == 3
    assert figures(page, "rule-city_80")["held"] == 0
    assert 'action="/reports/online-ratio/freeze"' not in page
    assert client.get("/reports/targets").status_code == 403
    auth.logout()
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get("/reports/online-ratio?period=2019-03").status_code == 403
    assert client.get("/reports/online-ratio/download?period=2019-03&format=csv").status_code == 403


def test_pages_need_sign_in(client, hanoi):
    for path in ("/reports/online-ratio", "/reports/online-ratio/meetings?period=2019-03",
                 "/reports/targets"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("period", ["2019-Q1", "2019", "2019-07"])
def test_other_periods_and_an_empty_one_render(client, cases, make_user, auth, period):
    auth.login(make_user("organizer", cases[1].organizer.parent))
    r = client.get(f"/reports/online-ratio?period={period}")
    assert r.status_code == 200


def test_a_bad_period_is_400_with_the_reason(client, hanoi, make_user, auth):
    auth.login(make_user("admin"))
    r = client.get("/reports/online-ratio?period=2019-13")
    assert r.status_code == 400 and "is-invalid" in r.get_data(as_text=True)
    assert client.get("/reports/online-ratio?period=2019-03&version=x").status_code == 400


def test_download_xlsx_from_the_page(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    r = client.get("/reports/online-ratio/download?period=2019-03&format=xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.get_data()))
    rules = {row[1]: row for row in wb["Theo chỉ tiêu"].iter_rows(min_row=4, values_only=True)}
    assert rules["below_city_30"][2:] == tuple(EXPECTED_MARCH["rules"]["below_city_30"][k] for k in FIELDS)
    assert client.get("/reports/online-ratio/download?period=2019-03&format=pdf").status_code == 400


def test_admin_freezes_then_sees_the_difference(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    r = client.post("/reports/online-ratio/freeze", data={"period": "2019-03", "csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["Location"].endswith("period=2019-03&version=1")
    page = client.get("/reports/online-ratio?period=2019-03&version=1").get_data(as_text=True)
    state = re.search(r'class="badge (text-bg-\w+)" data-testid="report-state">([^<]+)', page)
    assert state.group(1) == "text-bg-info" and "1" in state.group(2)  # frozen version 1
    assert '<p class="mb-0" data-testid="report-diff">' in page  # nothing changed yet
    cases[6].status, cases[6].outcome_mode = "held", "online"
    db.session.commit()
    page = client.get("/reports/online-ratio?period=2019-03&version=1").get_data(as_text=True)
    assert figures(page, "rule-below_city_30") == EXPECTED_MARCH["rules"]["below_city_30"]
    diff = re.search(r'data-testid="report-diff">(.*?)</table>', page, re.S).group(1)
    assert "Tổ chức trực tuyến" in diff and "66,7" in diff and "71,4" in diff and "held_online" not in diff
    live = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert figures(live, "rule-below_city_30")["held"] == 7
    assert client.get("/reports/online-ratio?period=2019-03&version=5").status_code == 404


def test_freeze_needs_an_admin(client, cases, hanoi, make_user, auth):
    auth.login(make_user("viewer", hanoi["city"]))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    r = client.post("/reports/online-ratio/freeze", data={"period": "2019-03", "csrf_token": csrf_of(page)})
    assert r.status_code == 403


def test_admin_lists_adds_and_edits_target_rules(client, hanoi, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/reports/targets").get_data(as_text=True)
    assert 'data-testid="rule-2019-city_80"' in page and 'data-testid="rule-2019-below_city_30"' in page
    form = client.get("/reports/targets/new").get_data(as_text=True)
    r = client.post("/reports/targets/new", data={
        "csrf_token": csrf_of(form), "plan_year": "2020", "code": "city_90", "name": "Họp Thành phố",
        "levels": ["city"], "categories": ["trien_khai", "tong_ket"], "target": "90"})
    assert r.status_code == 303
    rule = db.session.scalar(select(TargetRule).where(TargetRule.code == "city_90"))
    assert (rule.plan_year, rule.levels, rule.categories, float(rule.target)) == (
        2020, ["city"], ["trien_khai", "tong_ket"], 90.0)
    r = client.post(f"/reports/targets/{rule.id}/edit", data={
        "csrf_token": csrf_of(form), "plan_year": "2020", "code": "city_90", "name": "Họp Thành phố",
        "levels": ["city", "department"], "categories": ["trien_khai"], "target": "85.5"})
    assert r.status_code == 303
    db.session.refresh(rule)
    assert (rule.levels, float(rule.target)) == (["city", "department"], 85.5)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "target_rule")).all()
    assert actions == ["create", "update"]


@pytest.mark.parametrize("changes, field", [
    ({"code": "Bad Code"}, "code"),
    ({"code": "city_80", "plan_year": "2019"}, "code"),
    ({"name": ""}, "name"),
    ({"levels": []}, "levels"),
    ({"categories": []}, "categories"),
    ({"target": "120"}, "target"),
    ({"plan_year": "1990"}, "plan_year"),
    ({"levels": ["galaxy"]}, "levels"),
])
def test_bad_target_rules_are_refused_with_the_field(client, hanoi, make_user, auth, changes, field):
    auth.login(make_user("admin"))
    form = client.get("/reports/targets/new").get_data(as_text=True)
    data = {"csrf_token": csrf_of(form), "plan_year": "2020", "code": "ok_rule", "name": "Tên",
            "levels": ["district"], "categories": ["giao_ban"], "target": "40", **changes}
    r = client.post("/reports/targets/new", data=data)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert re.search(rf'class="[^"]*is-invalid[^"]*" id="{field}"', page) or \
        f'data-testid="error-{field}"' in page
    assert db.session.scalar(select(TargetRule).where(TargetRule.code == "ok_rule")) is None


def test_the_report_reads_in_the_readers_language(client, cases, make_user, auth):
    """Periods in words, rules by name in the charts, numbers and files as the locale writes them."""
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert "· Tháng 3/2019</h1>" in page and "← Tháng 2/2019</a>" in page and "Tháng 4/2019 →</a>" in page
    assert ">Quý I/2019</a>" in page and ">Năm 2019</a>" in page and "2019-03</h1>" not in page
    bars = re.findall(r'text-anchor="end" fill="#212529">([^<]+)</text>', page)
    assert bars and not any(code in b for b in bars for code in ("below_city_30", "city_80"))
    vi_csv = client.get("/reports/online-ratio/download?period=2019-03&format=csv")
    assert vi_csv.get_data().decode("utf-8-sig").startswith("Kỳ báo cáo: Tháng 3/2019\r\n")
    page = client.get("/reports/online-ratio?period=2019-Q1&lang=en").get_data(as_text=True)
    assert "· Q1 2019</h1>" in page and ">Year 2019</a>" in page
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert re.search(r'data-testid="attendance-connected"><a href="[^"]+">66.7%', page)
    en_csv = client.get("/reports/online-ratio/download?period=2019-03&format=csv")
    text = en_csv.get_data().decode("utf-8-sig")
    assert text.startswith("Report period: March 2019\r\n") and "Online ratio (%)" in text
    assert en_csv.headers["ETag"] != vi_csv.headers["ETag"]  # a cached file never changes language


def test_a_long_rule_name_takes_two_lines_in_the_chart_not_an_ellipsis(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    two = re.findall(r'data-lines="2"><tspan x="232">([^<]+)</tspan><tspan x="232" dy="12">([^<]+)</tspan>', page)
    assert ("Họp của Sở, ngành, quận, huyện, xã,", "phường") in two
    legend = re.findall(r'data-testid="trend-legend">([^<]+)</text>', page)
    assert "Họp của Sở, ngành, quận, huyện, xã, phường (chỉ tiêu 30,0%)" in legend
    r = client.post("/reports/online-ratio/freeze", data={"period": "2019-03", "csrf_token": csrf_of(page)},
                    follow_redirects=True)
    assert "Đã chốt số liệu kỳ Tháng 3/2019: bản chốt số 1." in r.get_data(as_text=True)


def test_the_drill_down_shows_modes_and_statuses_by_label(client, cases, make_user, auth):
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio/meetings?period=2019-03&rule=below_city_30").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert "Đã tổ chức" in cells and "Trực tuyến" in cells
    assert not {"online", "hybrid", "in_person", "held", "cancelled", "scheduled"} & set(cells)
