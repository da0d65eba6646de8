"""The hand-built meetings every report test uses, and the figures expected of them.

Local time is UTC+7. Figures for 2019-03 are worked out by hand in EXPECTED_MARCH.
"""
from __future__ import annotations

from datetime import UTC, datetime

from models import Invitation, db
from models.base import LOCAL

NOW = datetime(2019, 4, 10, tzinfo=UTC)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL)


def build_cases(hanoi, make_meeting) -> dict:
    """Thirteen meetings of Feb-Apr 2019 (numbered as in the comments)."""
    h, m = hanoi, make_meeting
    made = {
        # 1: 23:30 local on 31 March: March.
        1: m(h["ba_dinh"], local(2019, 3, 31, 23, 30), hours=0.5, status="held", outcome_mode="online"),
        # 2: 00:30 local on 1 April (17:30 UTC on 31 March): April, not March.
        2: m(h["ba_dinh"], local(2019, 4, 1, 0, 30), status="held", outcome_mode="in_person"),
        # 3: a commune's hybrid meeting counts as online.
        3: m(h["phuc_xa"], local(2019, 3, 5, 9), category="khac", status="held", outcome_mode="hybrid"),
        4: m(h["truc_bach"], local(2019, 3, 6, 9), status="held", outcome_mode="in_person"),
        5: m(h["truc_bach"], local(2019, 3, 7, 9), status="cancelled"),
        # 6: ended 04:00 UTC on 20 March, no outcome: awaiting it.
        6: m(h["vinh_phuc"], local(2019, 3, 20, 9), status="scheduled"),
        # 7: a city-level giao_ban: no rule covers it.
        7: m(h["city"], local(2019, 3, 11, 8), status="held", outcome_mode="online",
             participants=[h["ba_dinh"], h["hoan_kiem"], h["stttt"]],
             connected=[h["ba_dinh"], h["hoan_kiem"]]),
        8: m(h["city"], local(2019, 3, 12, 8), category="trien_khai", status="held", outcome_mode="online"),
        9: m(h["city"], local(2019, 3, 13, 8), category="tong_ket", status="held", outcome_mode="in_person"),
        # 10: a department's tap_huan falls under the 30% rule.
        10: m(h["stttt"], local(2019, 3, 14, 8), category="tap_huan", status="held", outcome_mode="online"),
        11: m(h["phuc_tan"], local(2019, 3, 15, 8), category="so_ket", status="held",
              outcome_mode="in_person"),
        # 12: 00:30 local on 1 March (17:30 UTC on 28 February): March.
        12: m(h["hang_ma"], local(2019, 3, 1, 0, 30), status="held", outcome_mode="online"),
        # 13: 23:30 local on 28 February: February.
        13: m(h["hang_ma"], local(2019, 2, 28, 23, 30), hours=0.5, status="held", outcome_mode="online"),
    }
    first = db.session.scalar(db.select(Invitation).where(Invitation.meeting_id == made[7].id,
                                                          Invitation.unit_id == h["ba_dinh"].id))
    first.response, first.confirmed_before_start = "confirmed", True
    db.session.commit()
    return made


def counts(held, held_online, cancelled, awaiting, ratio):
    return {"held": held, "held_online": held_online, "cancelled": cancelled,
            "awaiting_outcome": awaiting, "ratio": ratio}


EXPECTED_MARCH = {
    "rules": {"city_80": {**counts(2, 1, 0, 0, 50.0), "target": 80.0, "gap": -30.0},
              "below_city_30": {**counts(6, 4, 1, 1, 66.7), "target": 30.0, "gap": 36.7}},
    "not_covered": counts(1, 1, 0, 0, 100.0),
    "organizers": {"legacy:01": {**counts(3, 2, 0, 0, 66.7), "target": None, "gap": None},
                   "STTTT": {**counts(1, 1, 0, 0, 100.0), "target": 30.0, "gap": 70.0},
                   "legacy:001": {**counts(1, 1, 0, 0, 100.0), "target": 30.0, "gap": 70.0},
                   "legacy:00001": {**counts(1, 1, 0, 0, 100.0), "target": 30.0, "gap": 70.0},
                   "legacy:00004": {**counts(1, 0, 1, 0, 0.0), "target": 30.0, "gap": -30.0},
                   "legacy:00006": {**counts(0, 0, 0, 1, None), "target": 30.0, "gap": None},
                   "legacy:00037": {**counts(1, 0, 0, 0, 0.0), "target": 30.0, "gap": -30.0},
                   "legacy:00043": {**counts(1, 1, 0, 0, 100.0), "target": 30.0, "gap": 70.0}},
    "districts": {"legacy:001": {**counts(3, 2, 1, 1, 66.7), "target": 30.0, "gap": 36.7},
                  "legacy:002": {**counts(2, 1, 0, 0, 50.0), "target": 30.0, "gap": 20.0}},
}


def by_key(report: dict) -> dict:
    """The report reshaped as EXPECTED_MARCH is, keeping only the SPEC's fields."""
    fields = ("held", "held_online", "cancelled", "awaiting_outcome", "ratio", "target", "gap")
    pick = lambda r: {k: r[k] for k in fields if k in r}  # noqa: E731
    return {"rules": {r["code"]: pick(r) for r in report["rules"]},
            "not_covered": pick(report["not_covered"]),
            "organizers": {r["unit"]: pick(r) for r in report["organizers"]},
            "districts": {r["unit"]: pick(r) for r in report["districts"]}}
