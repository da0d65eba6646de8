"""Every route, every role, inside and outside its scope: who gets through and who is refused.

The test walks the app's URL map and fails on any route (endpoint and method) that has no
rule here, so a new route cannot ship without its permissions being stated.

World: a meeting organised by Quận Ba Đình (legacy:001) inviting Phường Phúc Xá
(legacy:00001). "in" actors are scoped to Ba Đình or Phúc Xá; "out" actors to Hoàn Kiếm or
its ward Đồng Xuân.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Endpoint, db
from models.base import utcnow
from models.feeds import feed_token_for_unit
from scheduler.booking import book_meeting
from scheduler.briefing import add_document, set_document_status
from scheduler.links import answer_path, answer_token, document_token

BRIEFING_PDF = b"%PDF-1.4\n%%EOF\n"
DOCUMENT_SETTINGS = {"DOCUMENT_MAX_BYTES": 10**6, "DOCUMENT_STORAGE": "database"}
ACTORS = ("anon", "admin", "org_in", "org_out", "clerk_in", "clerk_out", "viewer_in", "viewer_out")
EVERYONE = set(ACTORS)
SIGNED_IN = EVERYONE - {"anon"}
SEES_MEETING = {"admin", "org_in", "clerk_in", "viewer_in"}
ORGANISES = {"admin", "org_in"}
ANSWERS = {"admin", "clerk_in"}
ADMIN = {"admin"}
CHECKS = {"admin", "clerk_in"}
READS_REPORTS = {"admin", "org_in", "org_out", "viewer_in", "viewer_out"}
BOOKS = {"admin", "org_in", "org_out"}
#: reading a feed address is SEES_MEETING; renewing it is the unit's clerk's, its organisers' and admins'
RENEWS_FEED = {"admin", "org_in", "clerk_in"}
#: a follow-up task led by Phúc Xá: its clerk, the meeting's organisers and admins report its status
UPDATES_TASK = {"admin", "org_in", "clerk_in"}

# (endpoint, method) -> (path template, who gets through, body)
#   {m} meeting id, {b} bridge id, {e} endpoint id, {t} unit feed token, {link} a signed answer link
RULES = {
    ("registry.home", "GET"): ("/", SIGNED_IN, None),
    ("registry.units", "GET"): ("/units?q=phuc", SIGNED_IN, None),
    ("registry.unit", "GET"): ("/units/legacy:00001", SIGNED_IN, None),
    ("registry.readiness_dashboard", "GET"): ("/readiness", SIGNED_IN, None),
    ("readiness.district", "GET"): ("/readiness/districts/legacy:001", SIGNED_IN, None),
    ("readiness.not_ready", "GET"): ("/readiness/not-ready?format=csv", SIGNED_IN, None),
    ("registry.communes_fragment", "GET"): ("/units/legacy:001/communes", SIGNED_IN, None),
    ("registry.new_endpoint", "GET"): ("/units/legacy:00001/endpoints/new", ADMIN, None),
    ("registry.new_endpoint", "POST"): ("/units/legacy:00001/endpoints/new", ADMIN, {}),
    ("registry.edit_endpoint", "GET"): ("/endpoints/{e}/edit", ADMIN, None),
    ("registry.edit_endpoint", "POST"): ("/endpoints/{e}/edit", ADMIN, {}),
    ("registry.new_check", "POST"): ("/endpoints/{e}/checks", CHECKS, {"passed": "y"}),
    ("auth.login", "GET"): ("/login", EVERYONE, None),
    ("auth.login", "POST"): ("/login", EVERYONE, {}),
    ("auth.logout", "POST"): ("/logout", SIGNED_IN, {}),
    ("auth.set_language", "POST"): ("/lang/en", EVERYONE, {}),
    ("ops.healthz", "GET"): ("/healthz", EVERYONE, None),
    ("static", "GET"): ("/static/app.css", EVERYONE, None),
    ("bootstrap.static", "GET"): ("/bootstrap/static/css/bootstrap.min.css", EVERYONE, None),
    ("openapi.spec", "GET"): ("/api/v1/openapi.json", EVERYONE, None),
    ("meetings.index", "GET"): ("/meetings", SIGNED_IN, None),
    ("meetings.new", "GET"): ("/meetings/new", BOOKS, None),
    ("meetings.new", "POST"): ("/meetings/new?organizer=legacy:001", {"admin", "org_in"}, {}),
    ("meetings.detail", "GET"): ("/meetings/{m}", SEES_MEETING, None),
    ("meetings.edit", "GET"): ("/meetings/{m}/edit", ORGANISES, None),
    ("meetings.edit", "POST"): ("/meetings/{m}/edit", ORGANISES, {}),
    ("meetings.cancel", "POST"): ("/meetings/{m}/cancel", ORGANISES, {"scope": "nonsense"}),
    ("admin_audit.trail", "GET"): ("/audit?from=01/01/2020", SIGNED_IN, None),
    ("admin_audit.trail_csv", "GET"): ("/audit.csv?kind=meeting", SIGNED_IN, None),
    ("meetings.cancel", "GET"): ("/meetings/{m}/cancel?scope=this", ORGANISES, None),
    ("meetings.restore", "POST"): ("/meetings/{m}/restore", ORGANISES, {}),
    ("meetings.outcome", "GET"): ("/meetings/{m}/outcome", ORGANISES, None),
    ("meetings.outcome", "POST"): ("/meetings/{m}/outcome", ORGANISES, {}),
    ("meetings.awaiting", "GET"): ("/meetings/awaiting", SIGNED_IN, None),
    ("meetings.calendar", "GET"): ("/units/legacy:00001/calendar?view=month", SEES_MEETING, None),
    ("attendance.home", "GET"): ("/my-unit?unit=legacy:00001", SEES_MEETING, None),
    ("attendance.answer", "POST"): ("/my-unit/meetings/{m}/answer?unit=legacy:00001", ANSWERS, {}),
    ("attendance.responses", "GET"): ("/meetings/{m}/responses", ORGANISES, None),
    ("attendance.attendance_list_page", "GET"): ("/meetings/{m}/attendance?format=xlsx", ORGANISES, None),
    ("attendance.remind", "POST"): ("/meetings/{m}/responses/remind", ORGANISES, {}),
    ("attendance.notifications", "GET"): ("/notifications", SIGNED_IN, None),
    ("attendance.mark_read", "POST"): ("/notifications/read", SIGNED_IN, {}),
    ("attendance.mark_notice_read", "POST"): ("/notifications/notices/999999/read", set(), {}),
    ("attendance.open_notice", "GET"): ("/notifications/notices/999999/open", set(), None),
    ("notices.settings", "GET"): ("/settings", SIGNED_IN, None),
    ("notices.settings", "POST"): ("/settings", SIGNED_IN, {}),
    ("notices.unit_contacts", "GET"): ("/units/legacy:00001/contacts", ADMIN, None),
    ("notices.unit_contacts", "POST"): ("/units/legacy:00001/contacts", ADMIN, {}),
    ("notices.failed", "GET"): ("/admin/deliveries", ADMIN, None),
    ("attendance.answer_link", "GET"): ("{link}", EVERYONE, None),
    ("attendance.answer_link", "POST"): ("{link}", EVERYONE, {}),
    ("calendars.feed", "GET"): ("/feeds/{t}.ics", EVERYONE, None),
    ("calendars.meeting_ics", "GET"): ("/meetings/{m}.ics", SEES_MEETING, None),
    ("calendars.my_feed", "GET"): ("/me/feed", SIGNED_IN, None),
    ("calendars.renew_my_feed", "POST"): ("/me/feed/renew", SIGNED_IN, {}),
    ("calendars.renew_my_feed", "GET"): ("/me/feed/renew", SIGNED_IN, None),
    ("calendars.unit_feed", "GET"): ("/units/legacy:00001/feed", SEES_MEETING, None),
    ("calendars.renew_unit", "POST"): ("/units/legacy:00001/feed/renew", RENEWS_FEED, {}),
    ("calendars.renew_unit", "GET"): ("/units/legacy:00001/feed/renew", RENEWS_FEED, None),
    ("report_pages.online_ratio", "GET"): ("/reports/online-ratio?period=2019-03", READS_REPORTS, None),
    ("report_pages.download", "GET"): ("/reports/online-ratio/download?period=2019-03&format=csv",
                                       READS_REPORTS, None),
    ("report_pages.meetings", "GET"): ("/reports/online-ratio/meetings?period=2019-03&kind=held",
                                       READS_REPORTS, None),
    ("report_pages.freeze", "POST"): ("/reports/online-ratio/freeze", ADMIN, {"period": "2019-03"}),
    ("report_pages.targets", "GET"): ("/reports/targets", ADMIN, None),
    ("report_pages.edit_target", "GET"): ("/reports/targets/new", ADMIN, None),
    ("report_pages.edit_target", "POST"): ("/reports/targets/new", ADMIN, {}),
    ("admin_bridges.index", "GET"): ("/admin/bridges", {"admin", "org_in", "org_out"}, None),
    ("admin_bridges.detail", "GET"): ("/admin/bridges/{b}?view=week", {"admin", "org_in", "org_out"}, None),
    ("admin_bridges.new", "GET"): ("/admin/bridges/new", ADMIN, None),
    ("admin_bridges.new", "POST"): ("/admin/bridges/new", ADMIN, {}),
    ("admin_bridges.edit", "GET"): ("/admin/bridges/{b}/edit", ADMIN, None),
    ("admin_bridges.edit", "POST"): ("/admin/bridges/{b}/edit", ADMIN, {}),
    ("admin_bridges.retire", "POST"): ("/admin/bridges/{b}/retire", ADMIN, {"retired": "0"}),
    ("admin_accounts.index", "GET"): ("/admin/accounts?q=phuc&role=clerk", ADMIN, None),
    ("admin_accounts.new", "GET"): ("/admin/accounts/new", ADMIN, None),
    ("admin_accounts.new", "POST"): ("/admin/accounts/new", ADMIN, {}),
    ("admin_accounts.detail", "GET"): ("/admin/accounts/{u}", ADMIN, None),
    ("admin_accounts.detail", "POST"): ("/admin/accounts/{u}", ADMIN, {}),
    ("admin_accounts.set_active", "POST"): ("/admin/accounts/{u}/active", ADMIN, {"enabled": "1"}),
    ("admin_accounts.reset", "POST"): ("/admin/accounts/{u}/reset", ADMIN, {}),
    ("admin_accounts.bulk", "GET"): ("/admin/accounts/import", ADMIN, None),
    ("admin_accounts.bulk", "POST"): ("/admin/accounts/import", ADMIN, {}),
    ("admin_accounts.without_clerk", "GET"): ("/admin/accounts/communes-without-clerk.csv", ADMIN, None),
    # a forged link is refused to everyone alike (404): the page itself needs no session
    ("admin_accounts.set_password", "GET"): ("/password/forged", set(), None),
    ("admin_accounts.set_password", "POST"): ("/password/forged", set(), {}),
    ("admin_accounts.tokens", "GET"): ("/me/tokens", SIGNED_IN, None),
    ("admin_accounts.tokens", "POST"): ("/me/tokens", SIGNED_IN, {}),
    ("admin_accounts.revoke_token", "POST"): ("/me/tokens/{k}/revoke", SIGNED_IN, {}),
    ("admin_accounts.my_password", "GET"): ("/me/password", SIGNED_IN, None),
    ("admin_accounts.my_password", "POST"): ("/me/password", SIGNED_IN, {}),
    ("meeting_record.record", "GET"): ("/meetings/record", BOOKS, None),
    ("meeting_record.record", "POST"): ("/meetings/record", BOOKS, {}),
    # The API: a bearer token per actor; "anon" sends none.
    ("api.list_units", "GET"): ("/api/v1/units?q=phuc", SIGNED_IN, None),
    ("api.get_unit", "GET"): ("/api/v1/units/legacy:00001", SIGNED_IN, None),
    ("api.create_endpoint", "POST"): ("/api/v1/units/legacy:00001/endpoints", ADMIN,
                                      {"name": "P2", "kind": "software"}),
    ("api.patch_endpoint", "PATCH"): ("/api/v1/endpoints/{e}", ADMIN, {"status": "ready"}),
    ("api.create_check", "POST"): ("/api/v1/endpoints/{e}/checks", CHECKS, {"passed": True}),
    ("api.get_readiness", "GET"): ("/api/v1/readiness", SIGNED_IN, None),
    ("api.get_readiness_report", "GET"): ("/api/v1/reports/readiness", SIGNED_IN, None),
    ("api.get_online_ratio", "GET"): ("/api/v1/reports/online-ratio?period=2019-03", READS_REPORTS, None),
    ("api.get_rollup", "GET"): ("/api/v1/reports/online-ratio/as-of-today?period=2019&format=csv",
                                READS_REPORTS, None),
    ("api.list_bridges", "GET"): ("/api/v1/bridges", SIGNED_IN, None),
    ("api.create_bridge", "POST"): ("/api/v1/bridges", ADMIN, {"name": "MCU {actor}", "capacity": 5}),
    ("api.list_meetings", "GET"): ("/api/v1/meetings", SIGNED_IN, None),
    ("api.create_meeting", "POST"): ("/api/v1/meetings", {"admin", "org_in"}, "booking"),
    ("api.get_meeting", "GET"): ("/api/v1/meetings/{m}", SEES_MEETING, None),
    ("api.patch_meeting", "PATCH"): ("/api/v1/meetings/{m}", ORGANISES, {"location": "Phòng 2"}),
    ("api.cancel", "POST"): ("/api/v1/meetings/{m}/cancel", ORGANISES, {"scope": "this"}),
    ("api.restore", "POST"): ("/api/v1/meetings/{m}/restore", ORGANISES, None),
    ("api.outcome", "POST"): ("/api/v1/meetings/{m}/outcome", ORGANISES, {"status": "held", "mode": "online"}),
    ("api.put_response", "PUT"): ("/api/v1/meetings/{m}/responses/legacy:00001", ANSWERS,
                                  {"status": "confirmed", "attendee": "Nguyễn Văn A"}),
    ("api.slots", "GET"): ("/api/v1/slots?participants=legacy:00001&duration=60"
                           "&from=2030-01-07T00:00:00&to=2030-01-08T00:00:00", SIGNED_IN, None),
    ("working_calendar.index", "GET"): ("/admin/calendar/?year=2027", ADMIN, None),
    ("working_calendar.save", "POST"): ("/admin/calendar/", ADMIN, {}),
    ("api.api_calendar", "GET"): ("/api/v1/calendar?year=2027", SIGNED_IN, None),
    ("report_rollup.as_of_today", "GET"): ("/reports/online-ratio/as-of-today?period=2019", READS_REPORTS, None),
    ("reorganise.index", "GET"): ("/admin/reorganise/", ADMIN, None),
    ("reorganise.apply", "POST"): ("/admin/reorganise/", ADMIN, {}),
    ("api.api_set_exception", "PUT"): ("/api/v1/calendar/exceptions", ADMIN,
                                       {"day": "2030-03-09", "kind": "working_day", "label": "Làm bù"}),
    ("api.api_delete_exception", "DELETE"): ("/api/v1/calendar/exceptions/2030-03-10", ADMIN, None),
    ("api.get_feed", "GET"): ("/api/v1/units/legacy:00001/feed", SEES_MEETING, None),
    ("api.renew_feed", "POST"): ("/api/v1/units/legacy:00001/feed/renew", RENEWS_FEED, None),
    # The briefing (#16): {d} a published document of the meeting, {dt} its signed link's token
    ("briefing.page", "GET"): ("/meetings/{m}/briefing", SEES_MEETING, None),
    ("briefing.agenda", "POST"): ("/meetings/{m}/agenda", ORGANISES, {"title": "Khai mạc", "id": "", "time": "",
                                                                       "presenter": ""}),
    ("briefing.upload", "POST"): ("/meetings/{m}/documents", ORGANISES, {}),
    ("briefing.status", "POST"): ("/meetings/{m}/documents/{d}/status", ORGANISES, {"status": "nonsense"}),
    ("briefing.download", "GET"): ("/meetings/{m}/documents/{d}", SEES_MEETING, None),
    ("briefing.signed_download", "GET"): ("/documents/{d}/{dt}", EVERYONE, None),
    ("roll_call.console", "GET"): ("/meetings/{m}/roll-call", ORGANISES, None),
    ("roll_call.console_json", "GET"): ("/meetings/{m}/roll-call.json", ORGANISES, None),
    ("roll_call.mark", "POST"): ("/meetings/{m}/roll-call/legacy:00001", ORGANISES, {"state": "connected"}),
    # outside the window the clerk's tap is a 422 (it got through the permission check)
    ("attendance.check_in", "POST"): ("/meetings/{m}/check-in?unit=legacy:00001", ANSWERS, {}),
    ("api.get_agenda", "GET"): ("/api/v1/meetings/{m}/agenda", SEES_MEETING, None),
    ("api.put_agenda", "PUT"): ("/api/v1/meetings/{m}/agenda", ORGANISES, {"items": [{"title": "Khai mạc"}]}),
    ("api.list_documents", "GET"): ("/api/v1/meetings/{m}/documents", SEES_MEETING, None),
    ("api.upload_document", "POST"): ("/api/v1/meetings/{m}/documents", ORGANISES, "upload"),
    ("api.patch_document", "PATCH"): ("/api/v1/meetings/{m}/documents/{d}", ORGANISES, {"status": "published"}),
    ("api.document_content", "GET"): ("/api/v1/meetings/{m}/documents/{d}/content", SEES_MEETING, None),
    ("api.get_roll_call", "GET"): ("/api/v1/meetings/{m}/roll-call", ORGANISES, None),
    ("api.put_mark", "PUT"): ("/api/v1/meetings/{m}/roll-call/legacy:00001", ORGANISES, {"state": "connected"}),
    ("api.post_check_in", "POST"): ("/api/v1/meetings/{m}/roll-call/legacy:00001/check-in", ANSWERS, None),
    ("api.get_proposal", "GET"): ("/api/v1/meetings/{m}/roll-call/outcome", ORGANISES, None),
    # Follow-up (#16): {tk} is a published task of the meeting, led by Phúc Xá
    ("followup.minutes", "GET"): ("/meetings/{m}/minutes", SEES_MEETING, None),
    ("followup.minutes", "POST"): ("/meetings/{m}/minutes", ORGANISES, {"body": "Biên bản {actor}"}),
    ("followup.publish_minutes", "POST"): ("/meetings/{m}/minutes/publish", ORGANISES, {}),
    ("followup.conclusions", "GET"): ("/meetings/{m}/conclusions", SEES_MEETING, None),
    ("followup.conclusions", "POST"): ("/meetings/{m}/conclusions", ORGANISES, {"body": "Kết luận"}),
    ("followup.add_task", "POST"): ("/meetings/{m}/conclusions/tasks", ORGANISES, {}),
    ("followup.remove_task", "POST"): ("/meetings/{m}/conclusions/tasks/{tk}/remove", ORGANISES, {}),
    ("followup.publish_conclusions", "POST"): ("/meetings/{m}/conclusions/publish", ORGANISES, {}),
    ("followup.task", "GET"): ("/tasks/{tk}", SEES_MEETING, None),
    ("followup.task", "POST"): ("/tasks/{tk}", UPDATES_TASK, {"status": "received"}),
    ("followup.evidence", "GET"): ("/tasks/{tk}/evidence/{ev}", SEES_MEETING, None),
    ("api.add_evidence", "POST"): ("/api/v1/tasks/{tk}/evidence", UPDATES_TASK, None),
    ("api.get_evidence", "GET"): ("/api/v1/tasks/{tk}/evidence/{ev}", SEES_MEETING, None),
    ("followup.unit_tasks", "GET"): ("/tasks?unit=legacy:00001", SEES_MEETING, None),
    ("followup_report.report", "GET"): ("/reports/followup?period=2030-01", READS_REPORTS, None),
    ("followup_report.download", "GET"): ("/reports/followup/download?period=2030-01&format=xlsx",
                                          READS_REPORTS, None),
    ("followup_report.tasks", "GET"): ("/reports/followup/tasks?period=2030&standing=open", READS_REPORTS, None),
    ("api.get_minutes", "GET"): ("/api/v1/meetings/{m}/minutes", SEES_MEETING, None),
    ("api.put_minutes", "PUT"): ("/api/v1/meetings/{m}/minutes", ORGANISES, {"body": "Biên bản {actor}"}),
    ("api.publish_minutes", "POST"): ("/api/v1/meetings/{m}/minutes/publish", ORGANISES, None),
    ("api.get_conclusions", "GET"): ("/api/v1/meetings/{m}/conclusions", SEES_MEETING, None),
    ("api.put_conclusions", "PUT"): ("/api/v1/meetings/{m}/conclusions", ORGANISES, {"body": "Kết luận"}),
    ("api.add_task", "POST"): ("/api/v1/meetings/{m}/conclusions/tasks", ORGANISES,
                               {"title": "Nhiệm vụ {actor}", "lead_unit": "legacy:00001", "due_on": "2099-01-01"}),
    ("api.publish_conclusions", "POST"): ("/api/v1/meetings/{m}/conclusions/publish", ORGANISES, None),
    ("api.get_task", "GET"): ("/api/v1/tasks/{tk}", SEES_MEETING, None),
    ("api.update_task", "POST"): ("/api/v1/tasks/{tk}/updates", UPDATES_TASK, {"status": "in_progress"}),
    ("api.list_tasks", "GET"): ("/api/v1/tasks?unit=legacy:00001", SEES_MEETING, None),
    ("api.get_followup_report", "GET"): ("/api/v1/reports/followup?period=2030", READS_REPORTS, None),
}
#: routes where "denied" is a 404 by design (the object is hidden from those who may not see it)
HIDDEN_IS_404 = {"meetings.detail", "meetings.edit", "meetings.cancel", "meetings.restore", "meetings.outcome",
                 "calendars.meeting_ics", "api.get_meeting", "api.patch_meeting", "api.cancel", "api.restore",
                 "api.outcome", "attendance.responses", "attendance.remind", "briefing.page", "briefing.agenda",
                 "briefing.upload", "briefing.status", "briefing.download", "briefing.signed_download",
                 "roll_call.console", "roll_call.console_json", "roll_call.mark", "attendance.check_in",
                 "api.get_agenda", "api.put_agenda", "api.list_documents", "api.upload_document",
                 "api.patch_document", "api.document_content", "api.get_roll_call", "api.put_mark",
                 "api.post_check_in", "api.get_proposal"}


def app_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((rule.endpoint, method))
    return out


def test_every_route_has_a_rule(web_app):
    missing = sorted(app_routes(web_app) - set(RULES))
    assert not missing, f"routes with no permission rule: {missing}"
    stale = sorted(set(RULES) - app_routes(web_app))
    assert not stale, f"rules for routes that do not exist: {stale}"


@pytest.fixture
def world(hanoi, equipped, bridge, make_user, token_for, web_app):
    admin = make_user("admin")
    org_in = make_user("organizer", hanoi["ba_dinh"])
    users = {"admin": admin, "org_in": org_in, "org_out": make_user("organizer", hanoi["hoan_kiem"]),
             "clerk_in": make_user("clerk", hanoi["phuc_xa"]),
             "clerk_out": make_user("clerk", hanoi["dong_xuan"]),
             "viewer_in": make_user("viewer", hanoi["ba_dinh"]),
             "viewer_out": make_user("viewer", hanoi["hoan_kiem"])}
    start = (utcnow() + timedelta(days=30)).replace(hour=1, minute=0, second=0, microsecond=0)
    meeting = book_meeting({"title": "Giao ban quận", "category": "giao_ban", "organizer": "legacy:001",
                            "mode": "online", "start": start, "end": start + timedelta(hours=1),
                            "participants": ["legacy:00001"], "bridge": bridge.id}, org_in,
                           utcnow()).meetings[0]
    endpoint = db.session.scalar(select(Endpoint).where(Endpoint.unit_id == hanoi["phuc_xa"].id))
    token = feed_token_for_unit(hanoi["phuc_xa"]).token
    secret = web_app.config["SECRET_KEY"]
    link = answer_path(meeting.id, "legacy:00001", "confirmed") + "?t=" + answer_token(
        secret, meeting, hanoi["phuc_xa"], "confirmed")
    from scheduler import followup
    followup.save_minutes(meeting, "Biên bản", org_in, utcnow())
    followup.publish_minutes(meeting, org_in, utcnow())
    task = followup.add_task(meeting, {"title": "Báo cáo", "lead_unit": "legacy:00001",
                                       "due_on": (start + timedelta(days=5)).date().isoformat()}, org_in, utcnow())
    followup.publish_conclusions(meeting, org_in, utcnow())
    followup.update_task(task, {"status": "received"}, org_in, utcnow(), [(BRIEFING_PDF, "Minh chứng.pdf")],
                         DOCUMENT_SETTINGS)
    headers = {name: token_for(user) for name, user in users.items()}
    from models.users import ApiToken, issue_api_token
    spare = {name: issue_api_token(user) for name, user in users.items()}
    db.session.commit()
    from models.users import hash_token
    spare_ids = {name: db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(t)))
                 for name, t in spare.items()}
    spare_ids["anon"] = spare_ids["admin"]
    document = add_document(meeting, BRIEFING_PDF, "Tài liệu họp.pdf", org_in, utcnow(), DOCUMENT_SETTINGS)
    set_document_status(meeting, document, "published", org_in, utcnow())
    return {"users": users, "m": meeting.id, "d": document.id,
            "dt": document_token(web_app.config["SECRET_KEY"], document), "b": bridge.id, "k": spare_ids,
            "u": users["viewer_out"].id,
            "e": endpoint.id, "t": token, "link": link, "tk": task.id, "ev": task.evidence[0].id,
            "headers": headers, "start": start, "phuc_xa": hanoi["phuc_xa"]}


def denied(response, endpoint: str) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/login" in location and "next=" in location:
        return True
    return response.status_code == 404


def login(client, user):
    import re
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": user.email, "password": "correct horse", "csrf_token": token})


@pytest.mark.parametrize("actor", ACTORS)
def test_each_role_reaches_exactly_its_routes(web_app, world, actor):
    import re
    client = web_app.test_client()
    if actor != "anon":
        login(client, world["users"][actor])
    wrong = []
    for (endpoint, method), (template, allowed, body) in sorted(RULES.items()):
        token = feed_token_for_unit(world["phuc_xa"]).token  # earlier rows may have renewed it
        path = template.format(m=world["m"], d=world["d"], dt=world["dt"], b=world["b"], k=world["k"][actor],
                               u=world["u"], e=world["e"], t=token, link=world["link"], actor=actor,
                               tk=world["tk"], ev=world["ev"])
        if endpoint.startswith("api."):
            headers = dict(world["headers"][actor]) if actor != "anon" else {}
            if body == "booking":
                start = world["start"] + timedelta(days=2)
                body = {"title": "Họp", "category": "giao_ban", "organizer": "legacy:001", "mode": "in_person",
                        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
            if isinstance(body, dict):
                body = {k: v.format(actor=actor) if isinstance(v, str) else v for k, v in body.items()}
            if body == "upload":
                from io import BytesIO
                response = client.open(path, method=method, headers=headers, content_type="multipart/form-data",
                                       data={"file": (BytesIO(BRIEFING_PDF), "Tài liệu.pdf")})
            else:
                response = client.open(path, method=method, json=body, headers=headers)
        elif method == "GET":
            response = client.get(path)
        else:
            page = client.get("/login").get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
            response = client.open(path, method=method, data={**(body or {}), "csrf_token": csrf})
        response.close()
        assert response.status_code < 500, (endpoint, method, response.status_code)
        expected_denied = actor not in allowed
        if denied(response, endpoint) != expected_denied:
            wrong.append((endpoint, method, response.status_code,
                          "should be refused" if expected_denied else "should get through"))
        if endpoint == "auth.logout" and actor != "anon":
            login(client, world["users"][actor])
    assert not wrong, wrong


@pytest.mark.parametrize("actor", ["admin", "org_in", "clerk_in", "viewer_in"])
def test_a_draft_or_another_meetings_document_is_hidden(web_app, world, actor, hanoi, make_user, make_meeting):
    """A guessed id (another meeting's document) is 404 for everyone; a draft is 404 but to its organisers."""
    other_org = make_user("organizer", hanoi["hoan_kiem"])
    other = make_meeting(hanoi["hoan_kiem"], world["start"], participants=[hanoi["dong_xuan"]])
    foreign = add_document(other, BRIEFING_PDF, "Khác.pdf", other_org, utcnow(), DOCUMENT_SETTINGS)
    set_document_status(other, foreign, "published", other_org, utcnow())
    from models import Meeting
    meeting = db.session.get(Meeting, world["m"])
    draft = add_document(meeting, BRIEFING_PDF, "Dự thảo.pdf", world["users"]["org_in"], utcnow(),
                         DOCUMENT_SETTINGS)
    client = web_app.test_client()
    login(client, world["users"][actor])
    assert client.get(f"/meetings/{world['m']}/documents/{foreign.id}").status_code == 404
    if actor != "admin":
        assert client.get(f"/meetings/{other.id}/documents/{foreign.id}").status_code == 404
    expected = 200 if actor in ORGANISES else 404
    assert client.get(f"/meetings/{world['m']}/documents/{draft.id}").status_code == expected
    assert client.get(f"/documents/{draft.id}/{document_token(web_app.config['SECRET_KEY'], draft)}"
                      ).status_code == 404
