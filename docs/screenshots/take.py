"""Retake the README's screenshots from a `make demo` database, in Vietnamese.

    .venv/bin/python docs/screenshots/take.py [instance/demo.sqlite]

It adds three accounts of its own to that database (an office organiser, the Phúc Xá clerk and a
leader, `screenshots.*@giaoban.local`, with a random password it forgets), serves the app on a
free local port in this process, and drives Debian's Chromium (`/usr/bin/chromium`) at the widths
the people use: the office at 1366 px, a leader's tablet at 768 px, a clerk's phone at 390 px.
"""
from __future__ import annotations

import os
import secrets
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def main(database: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(database).resolve()}"
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from models import Meeting, Unit, User, db
    from models.base import utcnow
    from webapp import create_app

    app = create_app()
    password = secrets.token_urlsafe(12)
    with app.app_context():
        def unit(code: str) -> Unit:
            return db.session.scalar(select(Unit).where(Unit.dataset == "legacy", Unit.code == code))

        people = {"office": ("organizer", unit("01")), "clerk": ("clerk", unit("00001")),
                  "leader": ("viewer", unit("01"))}
        emails = {}
        for who, (role, home) in people.items():
            email = f"screenshots.{who}@giaoban.local"
            user = db.session.scalar(select(User).where(User.email == email)) or User(email=email)
            user.role, user.unit, user.is_enabled = role, home, True
            user.set_password(password)
            db.session.add(user)
            emails[who] = email
        db.session.commit()
        upcoming = db.session.scalar(select(Meeting.id).where(
            Meeting.organizer_id == unit("01").id, Meeting.start_at > utcnow(),
            Meeting.status == "scheduled").order_by(Meeting.start_at).limit(1))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    shots = [("office", 1366, "/meetings/new", "booking"),
             ("office", 1366, f"/meetings/{upcoming}", "meeting"),
             ("office", 1366, "/units", "registry"),
             ("leader", 768, "/reports/online-ratio?period=2019-03", "report"),
             ("leader", 768, "/readiness", "readiness"),
             ("clerk", 390, "/my-unit", "clerk-home"),
             ("clerk", 390, "/notifications", "clerk-notices"),
             ("clerk", 390, "/units/legacy:00001/calendar", "calendar")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        pages = {}
        for who, width, path, name in shots:
            if who not in pages:
                context = browser.new_context(base_url=base, locale="vi-VN",
                                              viewport={"width": width, "height": 900})
                page = context.new_page()
                page.goto("/login")
                page.fill("input[name=email]", emails[who])
                page.fill("input[name=password]", password)
                page.click("main form button[type=submit]")
                page.wait_for_url(lambda url: "/login" not in url)
                pages[who] = page
            page = pages[who]
            response = page.goto(path)
            if response is None or response.status != 200:
                raise SystemExit(f"{path}: {response.status if response else 'no answer'}")
            page.screenshot(path=str(HERE / f"{name}.png"))
            print(f"docs/screenshots/{name}.png  {width} px  {path}")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "instance" / "demo.sqlite"))
