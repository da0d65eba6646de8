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


def test_api_answers_bad_input_with_4xx_as_documented(web_app, hanoi, equipped, bridge, make_user,
                                                      token_for):
    headers = token_for(make_user("admin"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
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
