"""Signals the booking verbs send inside their transaction, before it commits, and their receivers.

Receivers (reminders, caches) add rows to the same session, so what they write lands or
fails together with the change itself. The app factory and the scheduler process connect
them with `connect_receivers(config)`: settings come in as an argument, never from an app
global.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blinker import Namespace

_signals = Namespace()

#: sent with meetings=[Meeting, ...], change="booked" | "changed" | "cancelled" | "restored" | "outcome",
#: actor=User, times_changed=bool (True when start or end moved)
meetings_saved = _signals.signal("meetings-saved")

_connected: list = []


def connect_receivers(config: Mapping[str, Any]) -> None:
    """Connect the reminder planner (with these settings), the notices' outbox writer, and the
    dial-in notice to the endpoint verbs' `models.registry.dial_in_changed`.

    A later call replaces the earlier one. The receivers' modules import the verbs that send
    this signal, so they are imported here, when connecting, not when this module loads.
    """
    from models.registry import dial_in_changed

    from .joining import dial_in_changed as tell_dial_in
    from .notices import record_notices
    from .reminders import ReminderOffsets, ReminderPlanner

    for signal, receiver in _connected:
        signal.disconnect(receiver)
    _connected.clear()
    planner = ReminderPlanner(ReminderOffsets.from_config(config))
    for signal, receiver in ((meetings_saved, planner), (meetings_saved, record_notices),
                             (dial_in_changed, tell_dial_in)):
        signal.connect(receiver, weak=False)
        _connected.append((signal, receiver))
