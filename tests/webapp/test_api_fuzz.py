"""Generated bad input against the OpenAPI document: never a 5xx, every answer as documented.

Schemathesis's own pytest plugin does not run under pytest 9, so each operation's
Hypothesis strategy is drawn here directly.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 10
pytestmark = pytest.mark.slow

FOLLOWUP_PATHS = {"/api/v1/meetings/{meeting_id}/minutes", "/api/v1/meetings/{meeting_id}/minutes/publish",
                  "/api/v1/meetings/{meeting_id}/conclusions", "/api/v1/meetings/{meeting_id}/conclusions/tasks",
                  "/api/v1/meetings/{meeting_id}/conclusions/publish", "/api/v1/tasks/{task_id}",
                  "/api/v1/tasks/{task_id}/updates", "/api/v1/tasks", "/api/v1/reports/followup"}


def followup_world(hanoi, admin):
    """Meeting 1 with published minutes and task 1 of its published notice, for ids the fuzz draws."""
    from datetime import timedelta

    from models import Invitation, Meeting, db
    from models.base import LOCAL, utcnow
    from scheduler import followup

    start = utcnow() - timedelta(days=3)
    meeting = Meeting(uid="fuzz@giaoban", title="Giao ban", category="giao_ban", organizer=hanoi["ba_dinh"],
                      mode="online", start_at=start, end_at=start + timedelta(hours=1), status="held",
                      outcome_mode="online", invitations=[Invitation(unit=hanoi["phuc_xa"], connected=True)])
    db.session.add(meeting)
    db.session.commit()
    followup.save_minutes(meeting, "# Biên bản", admin, utcnow())
    followup.publish_minutes(meeting, admin, utcnow())
    followup.add_task(meeting, {"title": "Báo cáo", "lead_unit": hanoi["phuc_xa"].ref,
                                "due_on": start.astimezone(LOCAL).date().isoformat()}, admin, utcnow())
    followup.publish_conclusions(meeting, admin, utcnow())


def test_api_answers_bad_input_with_4xx_as_documented(web_app, hanoi, equipped, bridge, make_user,
                                                      token_for):
    admin = make_user("admin")
    headers = token_for(admin)
    followup_world(hanoi, admin)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 26
    paths = {operation.path for operation in operations}
    assert FOLLOWUP_PATHS <= paths, FOLLOWUP_PATHS - paths
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            check()


BRIEFING_PATHS = ("/agenda", "/documents", "/roll-call")


def test_briefing_operations_answer_bad_input_on_a_real_meeting(web_app, hanoi, make_user, make_meeting,
                                                                token_for):
    """The programme, documents and roll-call operations, fuzzed against a meeting that runs now
    and has a published document, so the generated bodies reach the verbs, not only a 404."""
    from datetime import timedelta

    from models.base import utcnow
    from scheduler.briefing import add_document, set_document_status

    admin = make_user("admin")
    headers = token_for(admin)
    meeting = make_meeting(hanoi["ba_dinh"], utcnow() - timedelta(minutes=5), hours=2,
                           participants=[hanoi["phuc_xa"], hanoi["truc_bach"]])
    doc = add_document(meeting, b"%PDF-1.4\n%%EOF\n", "Tài liệu.pdf", admin, utcnow(),
                       {"DOCUMENT_MAX_BYTES": 10**6, "DOCUMENT_STORAGE": "database"})
    set_document_status(meeting, doc, "published", admin, utcnow())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()
                  if any(p in result.ok().path for p in BRIEFING_PATHS)]
    assert len(operations) >= 9

    def on_meeting(case):
        if "meeting_id" in (case.path_parameters or {}):
            case.path_parameters["meeting_id"] = meeting.id
        if "document_id" in (case.path_parameters or {}):
            case.path_parameters["document_id"] = doc.id
        if "unit" in (case.path_parameters or {}) and case.path_parameters["unit"][:1] == "l":
            case.path_parameters["unit"] = "legacy:00001"
        return case

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode).map(on_meeting)

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            check()
