"""A meeting's attendance list (page, CSV, XLSX), the print views, and the meetings list's title
search and date range against an independent filter."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from models import Meeting, db
from models.base import LOCAL, utcnow
from models.text import search_key
from webapp.meeting_reads import LIST_PAGE, MeetingFilter, meetings_page, parse_day


@pytest.fixture
def answered(hanoi, make_meeting):
    """A meeting of the city inviting both districts, four wards and a department, answered by hand."""
    m = make_meeting(hanoi["city"], utcnow() + timedelta(days=3), title="Giao ban quý",
                     participants=[hanoi[k] for k in ("ba_dinh", "phuc_xa", "truc_bach", "hoan_kiem",
                                                      "dong_xuan", "hang_ma", "snv")])
    answers = {"phuc_xa": ("confirmed", "Nguyễn Văn An", "Chủ tịch UBND", None),
               "truc_bach": ("declined", None, None, "Trùng lịch tiếp dân"),
               "hoan_kiem": ("confirmed", "Trần Thị Bình", "Phó Chủ tịch", None),
               "snv": ("declined", None, None, "=cmd|' /C calc'!A0")}
    for inv in m.invitations:
        key = next(k for k, u in hanoi.items() if u.id == inv.unit_id)
        if key in answers:
            inv.response, inv.attendee_name, inv.attendee_title, inv.reason = answers[key]
            inv.responded_at = utcnow()
    db.session.commit()
    return m


def test_attendance_list_is_grouped_by_district_with_counts(client, auth, organizer, answered, hanoi):
    auth.login(organizer)
    page = client.get(f"/meetings/{answered.id}/attendance?lang=vi").get_data(as_text=True)
    assert re.search(r'data-count="invited">7<', page) and re.search(r'data-count="confirmed">2<', page)
    assert re.search(r'data-count="declined">2<', page) and re.search(r'data-count="pending">3<', page)
    groups = re.findall(r'data-group="([^"]+)"', page)
    assert groups == [hanoi["ba_dinh"].ref, hanoi["hoan_kiem"].ref, "others"]  # Ba Đình < Hoàn Kiếm
    ba_dinh = page[page.index(f'data-group="{hanoi["ba_dinh"].ref}"'):
                   page.index(f'data-group="{hanoi["hoan_kiem"].ref}"')]
    assert re.findall(r'data-unit="([^"]+)" data-response="(\w+)"', ba_dinh) == [
        (hanoi["ba_dinh"].ref, "pending"), (hanoi["phuc_xa"].ref, "confirmed"),
        (hanoi["truc_bach"].ref, "declined")]
    assert "Nguyễn Văn An" in ba_dinh and "Chủ tịch UBND" in ba_dinh and "Trùng lịch tiếp dân" in ba_dinh
    assert "print.css" in page and "data-print" in page
    detail = client.get(f"/meetings/{answered.id}").get_data(as_text=True)
    assert f'href="/meetings/{answered.id}/attendance"' in detail


def test_attendance_list_exports_csv_and_xlsx_formula_safe(client, auth, organizer, answered, hanoi):
    auth.login(organizer)
    r = client.get(f"/meetings/{answered.id}/attendance?format=csv&lang=vi")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0].startswith("Giao ban quý")
    body = {(row[0], row[1]): row for row in rows[2:]}
    assert body[("Quận Ba Đình", "Phường Phúc Xá")][3:5] == ["Nguyễn Văn An", "Chủ tịch UBND"]
    assert body[("Quận Hoàn Kiếm", "Phường Hàng Mã")][2] == "Chưa trả lời"  # the label, translated
    snv = next(row for row in rows[1:] if row[1] == "Sở Nội vụ")
    assert snv[5].startswith("'=")  # a formula in a reason stays text
    assert len(rows) - 2 == 7
    x = client.get(f"/meetings/{answered.id}/attendance?format=xlsx")
    wb = load_workbook(io.BytesIO(x.data))
    assert len(wb.sheetnames) == 3
    names = [wb[s].cell(r, 1).value for s in wb.sheetnames for r in range(4, wb[s].max_row + 1)]
    assert sorted(names) == sorted(inv.unit.name for inv in answered.invitations)
    reason = next(wb[s].cell(r, 5) for s in wb.sheetnames for r in range(4, wb[s].max_row + 1)
                  if wb[s].cell(r, 1).value == "Sở Nội vụ")
    assert reason.data_type == "s" and reason.value.startswith("=")
    assert client.get(f"/meetings/{answered.id}/attendance?format=doc").status_code == 400


def test_attendance_list_follows_the_responses_rule(client, auth, make_user, answered, hanoi):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get(f"/meetings/{answered.id}/attendance").status_code == 403
    assert client.get(f"/meetings/{answered.id}/responses").status_code == 403


def test_the_report_page_prints(client, auth, organizer):
    auth.login(organizer)
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    assert "data-print" in page and "print.css" in page and 'class="print-only' in page
    with client.get("/static/print.css") as r:
        css = r.get_data(as_text=True)
    assert "@media print" in css and re.search(r"nav[^{]*form[^{]*\{\s*display: none", css)


# --- the meetings list --------------------------------------------------------------------

TITLES = ["Giao ban tuần Quận Ba Đình", "Hội nghị trực tuyến về chuyển đổi số", "Họp 100% trực tuyến",
          "Tập huấn phần mềm một cửa", "HỘI NGHỊ TỔNG KẾT NĂM", "Giao ban_đặc biệt", "Đối thoại với dân"]


@pytest.fixture
def many(hanoi, make_meeting):
    """Meetings over three weeks of January 2019 (local days 07 to 27), one every 8 hours."""
    start = datetime(2019, 1, 7, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    out = []
    for i in range(3 * 21):
        out.append(make_meeting(hanoi["city"], start + timedelta(hours=8 * i),
                                title=f"{TITLES[i % len(TITLES)]} {i}", participants=[hanoi["phuc_xa"]],
                                status="held" if i % 5 == 0 else "scheduled"))
    return out


def _expected(meetings, q, lo, hi):
    """The independent reader: words folded by hand-written rules, local days compared in Python."""
    words = search_key(q).split()
    return [m.id for m in sorted(meetings, key=lambda m: (m.start_at, m.id))
            if all(w in search_key(m.title) for w in words)
            and (lo is None or m.start_at.astimezone(LOCAL).date() >= lo)
            and (hi is None or m.start_at.astimezone(LOCAL).date() <= hi)]


CASES = [("giao ban", date(2019, 1, 7), date(2019, 1, 13)),
         ("HOI NGHI", date(2019, 1, 10), None),
         ("hội nghị trực", None, date(2019, 1, 20)),
         ("100%", date(2019, 1, 1), date(2019, 1, 31)),
         ("_", date(2019, 1, 7), date(2019, 1, 27)),
         ("doi thoai", date(2019, 1, 14), date(2019, 1, 14)),
         ("dđ", date(2019, 1, 7), date(2019, 1, 27)),
         ("", date(2019, 1, 8), date(2019, 1, 9))]


@pytest.mark.parametrize("q, lo, hi", CASES)
def test_title_search_and_range_match_an_independent_filter(app, make_user, many, q, lo, hi):
    admin = make_user("admin")
    f = MeetingFilter(q=q, date_from=lo, date_to=hi)
    got, number = [], 1
    while True:
        page = meetings_page(admin, datetime(2019, 1, 1, tzinfo=UTC), f, number, size=10)
        got += [m.id for m in page.rows]
        if not page.has_next:
            break
        number += 1
    assert got == _expected(many, q, lo, hi)


def test_search_key_is_stored_on_every_write_path(app, hanoi, many):
    m = many[0]
    m.title = "Đổi tên: HỌP Ứng phó bão"
    db.session.commit()
    stored = db.session.execute(db.select(Meeting.search_title).where(Meeting.id == m.id)).scalar_one()
    assert stored == "doi ten: hop ung pho bao"
    db.session.execute(db.insert(Meeting.__table__), [{
        "uid": "bulk@giaoban", "title": "Họp Tổng Kết", "category": "giao_ban",
        "organizer_id": hanoi["city"].id, "mode": "online", "start_at": m.start_at,
        "end_at": m.end_at, "status": "scheduled", "revision": 0, "ports": 0}])
    db.session.commit()
    assert db.session.execute(db.select(Meeting.search_title).where(Meeting.uid == "bulk@giaoban")
                              ).scalar_one() == "hop tong ket"


def test_the_list_page_searches_pages_and_keeps_the_filters(client, auth, make_user, hanoi, many):
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    page = client.get("/meetings?q=giao+ban&from=07/01/2019&to=27/01/2019").get_data(as_text=True)
    titles = re.findall(r'href="/meetings/\d+">([^<]+)</a>', page)
    expected = _expected(many, "giao ban", date(2019, 1, 7), date(2019, 1, 27))
    assert len(titles) == min(len(expected), LIST_PAGE) and all("Giao ban" in t for t in titles)
    assert 'value="07/01/2019"' in page
    everything = client.get("/meetings?from=07/01/2019&to=27/01/2019").get_data(as_text=True)
    assert 'rel="next"' in everything
    nxt = re.search(r'href="(/meetings\?[^"]*)" rel="next"', everything).group(1)
    assert "page=2" in nxt and re.search(r"from=07(/|%2F)01(/|%2F)2019", nxt) and "to=27" in nxt
    second = client.get("/meetings?from=07/01/2019&to=27/01/2019&page=2").get_data(as_text=True)
    in_range = _expected(many, "", date(2019, 1, 7), date(2019, 1, 27))
    assert len(in_range) == len(many) - 1  # the last one starts at 00:00 on the 28th, Hà Nội time
    assert len(re.findall(r'href="/meetings/\d+">', second)) == len(in_range) - LIST_PAGE
    bad = client.get("/meetings?from=2019/31/01").get_data(as_text=True)
    assert 'data-error="dates"' in bad
    upcoming = client.get("/meetings").get_data(as_text=True)  # no range: upcoming only (none in 2026)
    assert not re.findall(r'href="/meetings/\d+">', upcoming)


@pytest.mark.parametrize("text, day", [("07/01/2019", date(2019, 1, 7)), ("2019-01-07", date(2019, 1, 7)),
                                       ("31/02/2019", None), ("", None), ("7/1/19", None)])
def test_parse_day(text, day):
    assert parse_day(text) == day
