"""SQLite, the embedded default, under ordinary concurrency (#12): 8 processes (workers) mix
connectivity checks, endpoint edits and feed renewals on one database; no answer is a 5xx.

Each process is its own app on the same file, as `make serve`'s workers are; they start their
20 writes at the same instant (at a barrier, once every one has built its app). The registry
and feed paths take the writer's lock when they begin (`write_transaction`), so they queue instead of
failing with "database is locked".
"""
import multiprocessing

import pytest
from sqlalchemy import select

from models import Endpoint, db

pytestmark = pytest.mark.slow
PROCESSES, WRITES = 8, 20
_start = None  # each pool process's barrier (set by the pool's initializer)


def _keep_barrier(barrier) -> None:
    global _start
    _start = barrier


def worker(url: str, headers: dict, endpoints: list[int], units: list[str],
           index: int) -> list[tuple[str, int]]:
    from config import TestConfig
    from webapp import create_app

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, SERVER_NAME="giaoban.test")
    client = app.test_client()
    out = []
    # a process waiting here takes no other task, so the 8 tasks run in 8 processes at once
    _start.wait(timeout=600)  # building 8 apps on a loaded 2-core machine can take minutes
    for i in range(WRITES):
        endpoint = endpoints[(index + i) % len(endpoints)]
        unit = units[(index + i) % len(units)]
        kind = ("check", "edit", "renew", "feed")[(index + i) % 4]
        if kind == "check":
            r = client.post(f"/api/v1/endpoints/{endpoint}/checks", headers=headers,
                            json={"passed": i % 3 != 0, "note": f"worker {index} #{i}"})
        elif kind == "edit":
            r = client.patch(f"/api/v1/endpoints/{endpoint}", headers=headers,
                             json={"room": f"Phòng {index}-{i}"})
        elif kind == "renew":
            r = client.post(f"/api/v1/units/{unit}/feed/renew", headers=headers)
        else:
            r = client.get(f"/api/v1/units/{unit}/feed", headers=headers)
        out.append((kind, r.status_code))
    return out


def test_eight_processes_of_mixed_writes_get_no_5xx(app, engine_name, database_url, hanoi, equipped,
                                                     make_user, token_for):
    # SQLite's one writer lock is what this presses hardest; PostgreSQL's row locks must hold too
    headers = token_for(make_user("admin"))
    endpoints = list(db.session.scalars(select(Endpoint.id).order_by(Endpoint.id)))[:4]
    units = [hanoi[k].ref for k in ("phuc_xa", "truc_bach", "vinh_phuc", "ba_dinh")]
    db.session.commit()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    with ctx.Pool(PROCESSES, initializer=_keep_barrier, initargs=(barrier,)) as pool:
        results = pool.starmap(worker, [(database_url, headers, endpoints, units, i)
                                        for i in range(PROCESSES)])
    answers = [a for r in results for a in r]
    assert len(answers) == PROCESSES * WRITES
    assert [a for a in answers if a[1] >= 500] == []
    assert {code for _kind, code in answers} <= {200, 201}, sorted(set(answers))
    db.session.expire_all()
    from sqlalchemy import func

    from models import ConnectivityCheck
    checks = db.session.scalar(select(func.count(ConnectivityCheck.id)).where(
        ConnectivityCheck.note.like("worker %")))
    assert checks == sum(1 for kind, _ in answers if kind == "check")  # every check stored once
