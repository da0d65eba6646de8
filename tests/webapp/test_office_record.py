"""Recording a past meeting from the web: outcome, actual mode, connected units; no booking."""
from sqlalchemy import select

from models import EndpointBooking, Invitation, Meeting, db


def test_an_organiser_records_a_past_meeting(client, auth, hanoi, equipped, make_user):
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    assert "Ghi nhận cuộc họp đã diễn ra" in client.get("/meetings").get_data(as_text=True)
    response = client.post("/meetings/record", data={
        "title": "Giao ban tháng 1", "category": "giao_ban", "organizer": "legacy:001",
        "start": "2019-01-07T08:00", "end": "2019-01-07T10:00", "participants": "legacy:00001, legacy:00004",
        "status": "held", "mode": "online", "connected": "legacy:00001", "csrf_token": auth.csrf("/meetings/record")})
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = db.session.scalar(select(Meeting).where(Meeting.title == "Giao ban tháng 1"))
    assert (meeting.status, meeting.outcome_mode, meeting.bridge_id) == ("held", "online", None)
    connected = {i.unit_id: i.connected for i in db.session.scalars(
        select(Invitation).where(Invitation.meeting_id == meeting.id))}
    assert connected == {hanoi["phuc_xa"].id: True, hanoi["truc_bach"].id: False}
    assert db.session.scalar(select(EndpointBooking).where(EndpointBooking.meeting_id == meeting.id)) is None


def test_a_future_meeting_or_a_stranger_unit_is_refused(client, auth, hanoi, make_user):
    auth.login(make_user("organizer", hanoi["ba_dinh"]))
    csrf = auth.csrf("/meetings/record")
    future = client.post("/meetings/record", data={
        "title": "Sau này", "category": "giao_ban", "organizer": "legacy:001", "start": "2099-01-07T08:00",
        "end": "2099-01-07T10:00", "status": "held", "mode": "in_person", "csrf_token": csrf})
    assert future.status_code == 400
    stranger = client.post("/meetings/record", data={
        "title": "Không được", "category": "giao_ban", "organizer": "legacy:001", "start": "2019-01-07T08:00",
        "end": "2019-01-07T10:00", "participants": "legacy:00001", "status": "held", "mode": "online",
        "connected": "legacy:00040", "csrf_token": csrf})
    assert stranger.status_code == 400
    assert db.session.scalar(select(Meeting)) is None
    auth.logout()
    auth.login(make_user("clerk", hanoi["phuc_xa"]))
    assert client.get("/meetings/record").status_code == 403
