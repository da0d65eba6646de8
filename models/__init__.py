"""The registry and everything that exists: one module per aggregate."""
from .audit import AuditLog
from .base import Base, db, utcnow
from .briefing import AgendaItem, Document, RollCallMark
from .data_version import DataVersion
from .endpoints import ConnectivityCheck, Endpoint
from .followup import (
    Conclusions,
    Minutes,
    MinutesRevision,
    Task,
    TaskEvidence,
    TaskReminder,
    TaskSupporter,
    TaskUpdate,
)
from .meetings import Bridge, EndpointBooking, Invitation, Meeting, Series
from .notices import Delivery, Notice
from .notifications import FeedToken, Notification, Reminder, SchedulerLock
from .storage import StoredFile
from .targets import ReportSnapshot, TargetRule
from .units import Unit
from .users import ApiToken, User
from .working_calendar import CalendarException

__all__ = ["AgendaItem", "ApiToken", "AuditLog", "Base", "Bridge", "CalendarException", "Conclusions",
           "ConnectivityCheck", "DataVersion", "Delivery", "Document", "Endpoint", "EndpointBooking", "FeedToken",
           "Invitation", "Meeting", "Minutes", "MinutesRevision", "Notice", "Notification", "Reminder",
           "ReportSnapshot", "RollCallMark", "SchedulerLock", "Series", "StoredFile", "TargetRule", "Task",
           "TaskEvidence", "TaskReminder", "TaskSupporter", "TaskUpdate", "Unit", "User", "db", "utcnow"]
