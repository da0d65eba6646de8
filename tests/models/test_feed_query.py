"""The feed's meetings query (issue #17): the UNION of a `start_at`-bounded window and the
series' rows selects exactly what the former single `OR` query selected, on random data."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.feed_query import old_stmt
from models import Invitation, Meeting, Series, db
from models.calendar_feeds import feed_meetings_query
from tests.fixtures.database import empty_meetings

NOW = datetime(2019, 6, 15, 3, 0, tzinfo=UTC)
UNITS = ("phuc_xa", "truc_bach", "dong_xuan", "stttt")


def reference_stmt(every_unit: bool):
    """The query as it was before the rewrite (the `OR series_id IN (...)` form), the one copy
    kept in the benchmark that measures the two against each other."""
    return old_stmt(every_unit).with_only_columns(Meeting.id)


meeting = st.tuples(
    st.integers(-130, 130),                       # start, in 6-hour steps from NOW
    st.sampled_from((0.5, 2, 11, 23.5, 24)),      # hours, up to the 24-hour bound
    st.sampled_from(("scheduled", "held", "cancelled")),
    st.sampled_from((None, None, 0, 1, 2)),       # series
    st.integers(0, len(UNITS) - 1),               # organiser
    st.lists(st.integers(0, len(UNITS) - 1), max_size=3, unique=True))  # invitees
windows = st.tuples(st.integers(0, 40), st.integers(0, 40))
scopes = st.lists(st.one_of(st.none(), st.lists(st.integers(0, len(UNITS) - 1), min_size=1,
                                                  max_size=3, unique=True)), min_size=1, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(meeting, max_size=25), window=windows, asked=scopes)
def test_union_query_selects_what_the_or_query_selected(app, hanoi, rows, window, asked):
    empty_meetings()
    units = [hanoi[key] for key in UNITS]
    series = [Series(uid=f"{uuid.uuid4()}@giaoban", rrule="FREQ=DAILY;COUNT=2",
                     dtstart_local=datetime(2019, 6, 1, 8), duration_minutes=60, revision=0)
              for _ in range(3)]
    db.session.add_all(series)
    for step, hours, status, in_series, organizer, invited in rows:
        start = NOW + timedelta(hours=6 * step)
        row = Meeting(uid=f"{uuid.uuid4()}@giaoban", title="Họp", category="giao_ban",
                      organizer=units[organizer], mode="online", start_at=start,
                      end_at=start + timedelta(hours=hours), status=status,
                      series=None if in_series is None else series[in_series],
                      recurrence_id=None if in_series is None else start)
        row.invitations.extend(Invitation(unit=units[i]) for i in invited)
        db.session.add(row)
    db.session.commit()
    past, future = window
    for scope in asked:
        unit_ids = None if scope is None else {units[i].id for i in scope}
        query = feed_meetings_query(unit_ids, NOW, past, future)
        got = set(db.session.scalars(query.ids, query.params))
        expected = set(db.session.scalars(reference_stmt(unit_ids is None), query.params))
        assert got == expected
        assert {row.id for row in db.session.scalars(query.stmt, query.params)} == expected
