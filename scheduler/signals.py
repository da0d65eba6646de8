"""Signals the booking verbs send inside their transaction, before it commits.

Receivers (reminders, caches) add rows to the same session, so what they write lands or
fails together with the change itself.
"""
from blinker import Namespace

_signals = Namespace()

#: sent with meetings=[Meeting, ...], change="booked" | "changed" | "cancelled" | "outcome",
#: actor=User, times_changed=bool (True when start or end moved)
meetings_saved = _signals.signal("meetings-saved")
