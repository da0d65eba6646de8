"""The app with its clock set back (benchmarks only): `gunicorn 'bench.clock_app:app'`.

BENCH_NOW (ISO 8601, with an offset) is where the clock starts; it ticks from there
(time-machine, a test dependency), so a feed's window falls on the demo year 2019.
"""
from __future__ import annotations

import os
from datetime import datetime

import time_machine

_travel = time_machine.travel(datetime.fromisoformat(os.environ["BENCH_NOW"]), tick=True)
_travel.start()

from webapp import create_app  # noqa: E402  (after the clock is set)

app = create_app()
