"""The follow-up report against figures worked out by hand."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from models import db
from models.base import LOCAL
from reports.followup import FIGURES, followup_report, followup_tables, report_heading, tasks_query
from reports.periods import parse_period
from reports.sheets import sheets_csv, sheets_xlsx
from scheduler import followup

START = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
NOW = datetime(2030, 3, 25, 8, 0, tzinfo=LOCAL)


def local(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL).astimezone(UTC)


@pytest.fixture
def world(hanoi, make_meeting, make_user):
    """Seven published tasks and one draft one (the hand-worked table in the test below)."""
    org = make_user("organizer", hanoi["ba_dinh"])
    clerks = {k: make_user("clerk", hanoi[k]) for k in ("phuc_xa", "truc_bach", "vinh_phuc")}
    m = make_meeting(hanoi["ba_dinh"], START, participants=[hanoi["phuc_xa"]], status="held", outcome_mode="online")
    draft = make_meeting(hanoi["ba_dinh"], START, participants=[hanoi["phuc_xa"]], status="held",
                         outcome_mode="online")
    plan = [  # name, lead, due, done at (local) or None
        ("T1", "phuc_xa", "2030-03-10", local(2030, 3, 10, 23, 59, 59)),   # on time, at the last second
        ("T2", "phuc_xa", "2030-03-10", local(2030, 3, 11, 0, 0, 0)),      # late, by the first second
        ("T3", "phuc_xa", "2030-03-20", None),                             # overdue on 25/3
        ("T4", "phuc_xa", "2030-03-31", None),                             # open on 25/3
        ("T5", "truc_bach", "2030-03-31", local(2030, 3, 24, 10)),         # on time
        ("T6", "truc_bach", "2030-04-01", None),                           # April: not in March
        ("T7", "vinh_phuc", "2030-03-31", None),                           # open: the period's last day
    ]
    tasks = {}
    for name, lead, due, _done in plan:
        tasks[name] = followup.add_task(m, {"title": name, "lead_unit": hanoi[lead].ref, "due_on": due}, org, START)
    followup.publish_conclusions(m, org, START)
    for name, lead, _due, done in plan:
        if done is not None:
            followup.update_task(tasks[name], {"status": "done"}, clerks[lead], done)
    followup.add_task(draft, {"title": "Nháp", "lead_unit": hanoi["phuc_xa"].ref, "due_on": "2030-03-15"}, org,
                      START)  # a draft notice: counts nowhere
    return {"tasks": tasks, "org": org}


def figures(report):
    return {r["unit"]: tuple(r[f] for f in FIGURES) for r in report["units"]}


def test_march_per_unit_by_hand(app, hanoi, world):
    report = followup_report(parse_period("2030-03"), NOW, None)
    #                         assigned, on time, late, overdue, open
    assert figures(report) == {"legacy:00001": (4, 1, 1, 1, 1),
                               "legacy:00004": (1, 1, 0, 0, 0),
                               "legacy:00006": (1, 0, 0, 0, 1)}
    assert report["total"] == {"assigned": 6, "done_on_time": 2, "done_late": 1, "overdue": 1, "open": 2}
    assert [r["unit"] for r in report["units"]] == ["legacy:00001", "legacy:00004", "legacy:00006"]


def test_the_year_counts_april_and_the_clock_moves_open_to_overdue(app, hanoi, world):
    year = followup_report(parse_period("2030"), NOW, None)
    assert figures(year)["legacy:00004"] == (2, 1, 0, 0, 1)
    april_2 = datetime(2030, 4, 2, 0, 0, tzinfo=LOCAL)
    later = followup_report(parse_period("2030-Q1"), april_2, None)
    assert figures(later)["legacy:00001"] == (4, 1, 1, 2, 0)
    assert figures(later)["legacy:00006"] == (1, 0, 0, 1, 0)
    assert followup_report(parse_period("2030-02"), NOW, None)["units"] == []


def test_scope_and_drill_down(app, hanoi, world):
    assert followup_report(parse_period("2030-03"), NOW, {hanoi["hoan_kiem"].id})["units"] == []
    only = followup_report(parse_period("2030-03"), NOW, {hanoi["truc_bach"].id})
    assert figures(only) == {"legacy:00004": (1, 1, 0, 0, 0)}
    period = parse_period("2030-03")
    overdue = db.session.scalars(tasks_query(period, NOW, None, hanoi["phuc_xa"].id, "overdue")).all()
    assert [t.title for t in overdue] == ["T3"]
    every = db.session.scalars(tasks_query(period, NOW, None)).all()
    assert [t.title for t in every] == ["T1", "T2", "T3", "T4", "T5", "T7"]


def test_the_sql_standing_is_the_python_standing(app, hanoi, world):
    period = parse_period("2030")
    for now in (NOW, local(2030, 3, 20, 23, 59, 59), local(2030, 3, 21), local(2030, 4, 2)):
        for standing in ("done_on_time", "done_late", "overdue", "open"):
            got = sorted(db.session.scalars(tasks_query(period, now, None, standing=standing)).all(),
                         key=lambda t: t.id)
            assert got == [t for t in world["tasks"].values() if t.standing(now) == standing], (now, standing)


def test_csv_and_xlsx_carry_the_figures(app, hanoi, world):
    report = followup_report(parse_period("2030-03"), NOW, None)
    sheets = followup_tables(report)
    heading = report_heading(report)
    assert heading == "Kỳ báo cáo 2030-03 (tính đến 08:00 25/03/2030)"
    rows = list(csv.reader(io.StringIO(sheets_csv(sheets, heading).decode("utf-8-sig"))))
    assert rows[1] == ["Mã đơn vị", "Đơn vị chủ trì", "Được giao", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
                       "Quá hạn chưa hoàn thành", "Đang thực hiện trong hạn"]
    assert rows[2] == ["legacy:00001", "Phường Phúc Xá", "4", "1", "1", "1", "1"]
    assert rows[-1] == ["", "Tổng cộng", "6", "2", "1", "1", "2"]
    ws = load_workbook(io.BytesIO(sheets_xlsx(sheets, heading))).active
    assert ws["A1"].value == heading
    assert [c.value for c in ws[4]] == ["legacy:00001", "Phường Phúc Xá", 4, 1, 1, 1, 1]
    assert [c.value for c in ws[7]][1:] == ["Tổng cộng", 6, 2, 1, 1, 2]
