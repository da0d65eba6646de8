"""What one request of a kept page costs in process: the per-request floor of issue #17's load
table (the signed-in user, the menu's count, the data version, the page's own keys, the copy of
the stored bytes), without a server or a second process.

Run on a database `bench.load --database URL` filled (it has `load@` and `clerk@` accounts):

    .venv/bin/python -m bench.request_cost DATABASE_URL [--repeat 300] [--profile PATH]

Each path is asked by a signed-in session (the admin, the ward's clerk, or the admin's API
token) a few times to warm what is kept, then `--repeat` times; the medians of five batches are
printed with `/healthz` timed in the same batches (the table's floor). `--profile PATH` prints a
pyinstrument summary of that path's warm requests.
"""
from __future__ import annotations

import argparse
import logging
import re
import statistics
import time

PASSWORD = "correct horse battery"
PATHS = [("none", "/healthz"), ("clerk", "/my-unit"), ("clerk", "/notifications"),
         ("admin", "/units"), ("admin", "/units/legacy:00001"), ("admin", "/meetings"),
         ("admin", "/meetings/{big}"), ("admin", "/reports/online-ratio?period=2019-03"),
         ("admin", "/readiness/districts/legacy:001"), ("api", "/api/v1/meetings/{big}"),
         ("none", "/feeds/{unit_feed}.ics"), ("none", "/feeds/{clerk_feed}.ics")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--profile", help="one of the paths (as printed): profile its warm requests")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from config import Config
    from models import Invitation, User, db
    from models.feeds import feed_token_for_unit, feed_token_for_user
    from models.units import find_unit
    from models.users import issue_api_token
    from webapp import create_app

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=args.url, FEED_PAST_DAYS=365)
    logging.getLogger("giaoban").setLevel(logging.WARNING)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "load@giaoban.local"))
        clerk = db.session.scalar(select(User).where(User.email == "clerk@giaoban.local"))
        if admin is None or clerk is None:
            raise SystemExit("run `python -m bench.load --database URL` once to fill the database")
        for user in (admin, clerk):
            user.set_password(PASSWORD)
        big = db.session.execute(select(Invitation.meeting_id).group_by(Invitation.meeting_id)
                                 .order_by(func.count().desc(), Invitation.meeting_id).limit(1)).scalar()
        names = {"big": big, "unit_feed": feed_token_for_unit(find_unit("legacy:00001")).token,
                 "clerk_feed": feed_token_for_user(clerk).token}
        token = issue_api_token(admin, "request-cost")
        db.session.commit()

    clients = {"none": (app.test_client(), {}), "api": (app.test_client(), {"Authorization": f"Bearer {token}"})}
    for who, email in (("admin", "load@giaoban.local"), ("clerk", "clerk@giaoban.local")):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 302, r.status_code
        clients[who] = (client, {})

    def ask(who: str, path: str):
        client, headers = clients[who]
        return client.get(path, headers=headers)

    paths = [(who, path.format(**names)) for who, path in PATHS]
    sizes = {}
    for who, path in paths:
        for _ in range(3):
            r = ask(who, path)
        assert r.status_code == 200, (path, r.status_code)
        sizes[path] = len(r.data)
    batches: dict[str, list[float]] = {path: [] for _who, path in paths}
    per_batch = max(1, args.repeat // 5)
    for _ in range(5):  # interleaved: every path in every batch
        for who, path in paths:
            started = time.perf_counter()
            for _ in range(per_batch):
                ask(who, path)
            batches[path].append((time.perf_counter() - started) / per_batch * 1000)
    floor = statistics.median(batches["/healthz"])
    print(f"{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: {per_batch} requests x 5 batches, medians")
    print("| path | reader | bytes | ms per request | × /healthz |")
    print("| --- | --- | ---: | ---: | ---: |")
    for who, path in paths:
        ms = statistics.median(batches[path])
        shown = re.sub(r"/feeds/[^/]+\.ics", "/feeds/<token>.ics", path)
        print(f"| {shown} | {who} | {sizes[path]:,} | {ms:.2f} | {ms / floor:.1f} |")
    if args.profile:
        from pyinstrument import Profiler

        who, path = next((w, p) for w, p in paths if re.sub(r"/feeds/[^/]+\.ics", "/feeds/<token>.ics", p)
                         == args.profile or p == args.profile)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.repeat):
            ask(who, path)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
