"""The suite's fixtures, one plugin module per concern under tests/fixtures/.

`database`: the engines, the migrated databases and the `app`; `web`: the request client,
the CLI runner, sign-in and API tokens; `factories`: units, users, meetings, endpoints.
"""
from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.fixtures")
pytest_plugins = ["tests.fixtures.database", "tests.fixtures.web", "tests.fixtures.factories",
                  "tests.fixtures.reorganisation"]

# test_ops makes a PostgreSQL database of its own with these helpers.
from tests.fixtures.database import (  # noqa: E402, F401
    ENGINES,
    TEST_DATABASE_URL,
    create_pg_database,
    drop_pg_database,
    pg_url,
)
