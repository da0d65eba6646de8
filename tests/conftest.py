"""The suite's fixtures, one plugin module per concern under tests/fixtures/.

`database`: the engines, the migrated databases and the `app`; `web`: the request client,
the CLI runner, sign-in and API tokens; `factories`: units, users, meetings, endpoints;
`processes`: real scheduler processes to kill and restart (`spawn`, `kill_mid_batch`).
"""
from __future__ import annotations

import re

import pytest

pytest.register_assert_rewrite("tests.fixtures")
pytest_plugins = ["tests.fixtures.database", "tests.fixtures.web", "tests.fixtures.factories",
                  "tests.fixtures.processes", "tests.fixtures.reorganisation"]

# test_ops makes a PostgreSQL database of its own with these helpers.
from tests.fixtures.database import (  # noqa: E402, F401
    ENGINES,
    TEST_DATABASE_URL,
    create_pg_database,
    drop_pg_database,
    pg_url,
)


def _engine_of(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database_url") if callspec else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Within each engine's run, the modules with slow tests first (a stable sort: the order
    inside a module and the grouping by engine, which keeps one migrated database per engine
    alive at a time, stay as pytest made them), so parallel workers (`make test` runs
    pytest-xdist) do not end on one long module while the others wait."""
    slow_modules = {item.module.__name__ for item in items
                    if item.get_closest_marker("slow") and getattr(item, "module", None)}

    def key(item):
        engine = _engine_of(item)
        module = getattr(item, "module", None)
        return (ENGINES.index(engine) if engine in ENGINES else 0,
                0 if module is not None and module.__name__ in slow_modules else 1)

    # a test of PostgreSQL's own guard is not collected with the SQLite database, rather than
    # run there to skip
    elsewhere = [item for item in items if item.get_closest_marker("postgresql_only")
                 and _engine_of(item) not in (None, "postgresql")]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        dropped = set(map(id, elsewhere))
        items[:] = [item for item in items if id(item) not in dropped]
    items[:] = sorted(items, key=key)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist: a module's tests on one engine go to one worker together (its module-scoped
    server, browser and seeded database are made once), in the order collected."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndEngine(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            found = re.search(r"[\[-](%s)[\]-]" % "|".join(ENGINES), nodeid)
            return f"{module}::{found.group(1)}" if found else module

    if config.getvalue("dist") != "loadscope":
        return None
    config.option.loadscopereorder = False  # the collection's order above, not the scopes' sizes
    return ByModuleAndEngine(config, log)
