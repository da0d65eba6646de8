"""The schemathesis command line, run as `python -m tests.webapp.schemathesis_cli run ...`.

caldav (a test dependency) brings niquests, which installs urllib3-future over urllib3; its pool
container has no `keys()`, which schemathesis 4.32's requests transport calls to count open
connections (only to decide whether to resend a request on a dropped keep-alive connection).
Counting then answers 0 instead of failing every request.
"""
from __future__ import annotations

import schemathesis.cli
from schemathesis.transport import requests as transport

_count = transport._count_opened_connections


def _count_tolerantly(session) -> int:
    try:
        return _count(session)
    except AttributeError:  # urllib3-future's pool container
        return 0


transport._count_opened_connections = _count_tolerantly

if __name__ == "__main__":
    schemathesis.cli.schemathesis()
