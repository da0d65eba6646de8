"""Pages stored per data version rather than per minute (#17, under load): the report page of a
past period, the registry tree and the readiness pages are rendered once while nothing they show
changes, across minutes and hours; the stored bytes get this request's form token and printing
time, so a form on a page stored hours ago still posts. A write, or a ready endpoint's check
going stale with time, renders them again."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

import webapp.readiness_pages
import webapp.registry
import webapp.report_pages
from models.base import LOCAL, utcnow
from models.readiness import readiness_clock
from models.registry import log_check
from reports import figures_cache

FIXED = datetime(2026, 3, 2, 3, 0, 30, tzinfo=UTC)


@pytest.fixture
def renders(monkeypatch):
    """The templates rendered by the registry, readiness and report views, in order."""
    seen: list[str] = []
    for module in (webapp.registry, webapp.readiness_pages, webapp.report_pages):
        original = module.render_template

        def counting(name, *args, _original=original, **kwargs):
            seen.append(name)
            return _original(name, *args, **kwargs)
        monkeypatch.setattr(module, "render_template", counting)
    figures_cache.cache_clear()
    return seen


def share_of(page: str) -> str:
    return re.search(r'data-testid="readiness-share">([^<]*)<', page).group(1)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_a_past_report_page_is_rendered_once_across_hours_with_a_fresh_token_and_time(
        client, auth, make_user, hanoi, renders):
    admin = make_user("admin")
    with time_machine.travel(FIXED, tick=False):
        auth.login(admin)
        first = client.get("/reports/online-ratio?period=2019-03")
        assert first.status_code == 200
    assert renders.count("reports/online_ratio.html") == 1
    later = FIXED + timedelta(hours=2, minutes=7)
    with time_machine.travel(later, tick=False):
        again = client.get("/reports/online-ratio?period=2019-03")
        page = again.get_data(as_text=True)
        assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
        assert renders.count("reports/online_ratio.html") == 1  # the stored bytes
        assert later.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M") in page  # printed now
        assert "@@giaoban-now@@" not in page
        token = csrf_of(page)
        assert token != csrf_of(first.get_data(as_text=True))
        # the stored page's forms carry this request's token: two hours on, it still posts
        r = client.post("/reports/online-ratio/freeze", data={"period": "2019-03", "csrf_token": token})
        assert r.status_code == 303
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        client.get("/reports/online-ratio?period=2019-03")
    assert renders.count("reports/online_ratio.html") == 2  # freezing a version is a write


def test_the_tree_and_readiness_are_rendered_again_only_when_a_check_goes_stale(
        app, client, auth, make_user, hanoi, equipped, renders):
    admin = make_user("admin")
    checked = equipped["phuc_xa"].last_check_at
    pages = {"/units": "registry/tree.html", "/readiness": "registry/readiness.html",
             "/readiness/districts/legacy:001": "registry/readiness_district.html",
             "/readiness/not-ready": "registry/readiness_not_ready.html"}
    for minutes in (0, 1, 90):
        with time_machine.travel(checked + timedelta(minutes=minutes), tick=False):
            if not minutes:
                auth.login(admin)
            for url in pages:
                assert client.get(url).status_code == 200, url
            share = share_of(client.get("/readiness").get_data(as_text=True))
    assert sorted(renders) == sorted(pages.values())  # once each across an hour and a half
    stale = checked + timedelta(days=app.config["READINESS_MAX_AGE_DAYS"], minutes=1)
    with time_machine.travel(stale, tick=False):
        page = client.get("/readiness").get_data(as_text=True)
    assert renders.count("registry/readiness.html") == 2
    assert share_of(page) != share


def test_a_check_logged_renders_the_tree_again(client, auth, make_user, hanoi, equipped, renders):
    admin = make_user("admin")
    auth.login(admin)
    client.get("/units")
    client.get("/units")
    assert renders.count("registry/tree.html") == 1
    log_check(equipped["phuc_xa"], {"passed": False, "note": "Mất kết nối"}, admin, utcnow())
    client.get("/units")
    assert renders.count("registry/tree.html") == 2


def test_readiness_clock_holds_until_the_oldest_ready_check_goes_stale(app, hanoi, equipped):
    checked = min(e.last_check_at for e in equipped.values())
    day, oldest = readiness_clock(checked + timedelta(hours=1), 30)
    assert oldest == checked and day == (checked + timedelta(hours=1)).astimezone(LOCAL).date()
    assert readiness_clock(checked + timedelta(days=29, hours=23), 30)[1] == oldest
    assert readiness_clock(checked + timedelta(days=30, minutes=1), 30)[1] is None  # none ready


def test_the_report_shows_the_top_of_the_organisers_and_all_on_asking(
        client, auth, make_user, hanoi, make_meeting, monkeypatch):
    from tests.reports.cases import EXPECTED_MARCH, build_cases
    build_cases(hanoi, make_meeting)
    figures_cache.cache_clear()
    monkeypatch.setattr(webapp.report_pages, "ORGANIZERS_SHOWN", 1)
    auth.login(make_user("admin"))
    every = set(EXPECTED_MARCH["organizers"])
    assert len(every) > 1
    page = client.get("/reports/online-ratio?period=2019-03").get_data(as_text=True)
    shown = set(re.findall(r'data-testid="organizer-([^"]+)-held"', page))
    assert len(shown) == 1 and shown < every
    link = re.search(r'href="([^"]+)" data-testid="all-organizers">([^<]+)<', page)
    assert link is not None
    assert f"{len(every)}" in link.group(2)
    assert "period=2019-03" in link.group(1) and "all=organizers" in link.group(1)
    page = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert set(re.findall(r'data-testid="organizer-([^"]+)-held"', page)) >= every
    assert 'data-testid="all-organizers"' not in page
