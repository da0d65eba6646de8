"""The reorganisation from the office's browser and the command line: review, choose, apply."""
from __future__ import annotations

import json

from sqlalchemy import select

from models import Invitation, db
from scheduler import reorganise
from tests.fixtures.reorganisation import NOW


def _at_now(monkeypatch):
    monkeypatch.setattr("webapp.reorganise.utcnow", lambda: NOW)
    monkeypatch.setattr("webapp.cli_reorganise.utcnow", lambda: NOW)


def test_the_office_reviews_the_plan_picks_a_successor_and_applies_it(client, auth, admin, city,
                                                                      holdings, monkeypatch):
    _at_now(monkeypatch)
    auth.login(admin)
    page = client.get("/admin/reorganise/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phường Kim Mã" in html and f'name="choice-{city["old"]["kim_ma"].id}"' in html
    assert "Quận Ba Đình" in html  # no successor: keeps its clerk
    choice = {f"choice-{city['old']['kim_ma'].id}": str(city["new"]["giang_vo"].id),
              "csrf_token": auth.csrf("/admin/reorganise/")}
    done = client.post("/admin/reorganise/", data=choice, follow_redirects=True)
    assert done.status_code == 200
    invited = set(db.session.scalars(select(Invitation.unit_id).where(
        Invitation.meeting_id == holdings["upcoming"].id)))
    assert invited == {city["new"]["ngoc_ha"].id, city["new"]["giang_vo"].id}
    assert reorganise.plan_reorganisation("2025", NOW).empty


def test_a_bad_choice_is_refused_with_the_unit_named(client, auth, admin, city, holdings,
                                                     monkeypatch):
    _at_now(monkeypatch)
    auth.login(admin)
    page = client.post("/admin/reorganise/", data={f"choice-{city['old']['kim_ma'].id}": str(city["city"].id),
                                                               "csrf_token": auth.csrf("/admin/reorganise/")},
                       follow_redirects=True)
    assert "legacy:00028" in page.get_data(as_text=True)
    assert not reorganise.plan_reorganisation("2025", NOW).empty  # nothing applied


def test_the_command_line_prints_the_plan_then_applies_it(app, city, holdings, monkeypatch):
    _at_now(monkeypatch)
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["units", "reorganise", "--json"])
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.output)
    assert plan["totals"]["units"] == 3 and plan["splits"][0]["unit"] == "legacy:00028"
    assert not reorganise.plan_reorganisation("2025", NOW).empty  # --json alone writes nothing
    done = runner.invoke(args=["units", "reorganise", "--apply", "--choose", "legacy:00028=2025:00008"])
    assert done.exit_code == 0, done.output
    assert "Moved from 3 dissolved units" in done.output
    again = runner.invoke(args=["units", "reorganise"])
    assert "Nothing to move" in again.output
    bad = runner.invoke(args=["units", "reorganise", "--choose", "legacy:00028=legacy:01"])
    assert bad.exit_code != 0 and "legacy:00028" in bad.output


def test_the_report_says_which_plan_judges_it_and_reads_readiness_at_the_periods_end(client, auth, make_user,
                                                                                    city):
    from models import ConnectivityCheck, Endpoint
    from tests.reports.test_across_the_reform import local

    e = Endpoint(unit=city["old"]["ngoc_ha"], name="Điểm cầu", kind="room_system", status="ready")
    db.session.add(e)
    db.session.add(ConnectivityCheck(endpoint=e, checked_at=local(2025, 6, 20), passed=True))
    db.session.commit()
    auth.login(make_user("admin"))
    june = client.get("/reports/online-ratio?period=2025-06").get_data(as_text=True)
    assert 'data-testid="plan-year"' in june and "2019" in june.split('data-testid="plan-year"')[1][:200]
    assert "30/06/2025" in june
    share = june.split('data-testid="readiness-share">')[1].split("<")[0]
    assert share.startswith("33")  # 1 of the 3 legacy communes in force on 30/06/2025


def test_the_as_of_today_page_is_labelled_and_links_back(client, auth, make_user, city, make_meeting):
    from tests.reports.test_across_the_reform import local

    make_meeting(city["old"]["ngoc_ha"], local(2025, 6, 10), status="held", outcome_mode="online")
    auth.login(make_user("admin"))
    page = client.get("/reports/online-ratio/as-of-today?period=2025")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="rollup-note"' in html
    assert 'data-unit="2025:00004"' in html and "/reports/online-ratio?period=2025" in html
    assert client.get("/reports/online-ratio/as-of-today?period=20x5").status_code == 404
