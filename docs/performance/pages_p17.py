"""Single requests in-process: /units, a district's communes, a clerk's home (issue #17).

Run from a worktree: PYTHONPATH=. .venv/bin/python docs/performance/pages_p17.py DATABASE_URL
(a database filled by `flask demo generate --year 2019`; adds two accounts if missing).
"""
import sys
import time

from config import Config
from models import User, db
from models.units import find_unit
from webapp import create_app

PASSWORD = "correct horse battery"


def main(url: str) -> None:
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        for email, role, unit in (("adm@p17.local", "admin", None),
                                  ("clerk@p17.local", "clerk", find_unit("legacy:00001"))):
            if not db.session.query(User).filter_by(email=email).first():
                user = User(email=email, role=role, unit=unit)
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
    for email, paths in (("adm@p17.local", ["/units", "/units/legacy:001/communes"]),
                         ("clerk@p17.local", ["/", "/my-unit", "/my-unit?unit=legacy:00001&up=2"])):
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        for path in paths:
            for _ in range(2):
                t0 = time.perf_counter()
                r = client.get(path)
                ms = (time.perf_counter() - t0) * 1000
            print(email, path, r.status_code, len(r.data), f"{ms:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
