"""Single-line columns (every `String`) turn line breaks into a space; `Text` keeps them (#12)."""
import pytest
from sqlalchemy import String, Text, select

from models import Meeting, db
from models.base import Base, single_line_columns, single_line_rows
from models.text import one_line

BREAKS = ["a\nb", "a\r\nb", "a\rb", "a \r\n\r\n\t b", "a\u2028b", "a\x85b", "a\vb"]


def mapped_tables():
    return [m.class_ for m in Base.registry.mappers]


@pytest.mark.parametrize("value", BREAKS)
def test_one_line(value):
    assert one_line(value) == "a b"
    assert one_line("Giao ban tháng 3") == "Giao ban tháng 3" and one_line(None) is None


def test_every_string_column_is_one_line_and_every_text_keeps_its_lines():
    seen_string = seen_text = 0
    for cls in mapped_tables():
        for col in cls.__table__.columns:
            if not isinstance(col.type, String) or col.key not in cls.__mapper__.columns:
                continue
            attr = cls.__mapper__.get_property_by_column(col).key
            obj = cls()
            setattr(obj, attr, "Dòng một\r\nDòng hai")
            if isinstance(col.type, Text):
                seen_text += 1
                assert getattr(obj, attr) == "Dòng một\r\nDòng hai", (cls.__name__, attr)
            else:
                seen_string += 1
                assert col.key in single_line_columns(cls.__table__)
                assert getattr(obj, attr) == "Dòng một Dòng hai", (cls.__name__, attr)
    assert seen_string > 30 and seen_text > 5


def test_core_inserts_through_the_bulk_helper_are_one_line_too(app, hanoi):
    row = {"uid": "one-line@giaoban", "title": "Họp\r\nBcc: x", "description": "một\nhai",
           "category": "giao_ban", "organizer_id": hanoi["city"].id, "mode": "in_person",
           "location": "Phòng\n1", "status": "scheduled"}
    from datetime import timedelta

    from models.base import utcnow
    row["start_at"] = utcnow() + timedelta(days=3)
    row["end_at"] = row["start_at"] + timedelta(hours=1)
    from scheduler.booking import bulk_insert  # the verbs' one Core insert (a series' rows)
    bulk_insert(Meeting, [row])
    assert single_line_rows(Meeting.__table__, [row])[0]["title"] == "Họp Bcc: x"
    db.session.commit()
    m = db.session.scalar(select(Meeting).where(Meeting.uid == "one-line@giaoban"))
    assert (m.title, m.location, m.description) == ("Họp Bcc: x", "Phòng 1", "một\nhai")
