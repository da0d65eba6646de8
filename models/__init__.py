"""The registry and everything that exists: one module per aggregate."""
from .audit import AuditLog
from .base import Base, db, utcnow
from .data_version import DataVersion
from .endpoints import ConnectivityCheck, Endpoint
from .followup import Conclusions, Minutes, MinutesRevision, Task, TaskReminder, TaskSupporter, TaskUpdate
from .meetings import Bridge, EndpointBooking, Invitation, Meeting, Series
from .notices import Delivery, Notice
from .notifications import FeedToken, Notification, Reminder, SchedulerLock
from .targets import ReportSnapshot, TargetRule
from .units import Unit
from .users import ApiToken, User
from .working_calendar import CalendarException

__all__ = ["ApiToken", "AuditLog", "Base", "Bridge", "CalendarException", "Conclusions", "Minutes",
           "MinutesRevision", "Task", "TaskReminder", "TaskSupporter", "TaskUpdate", "ConnectivityCheck", "DataVersion",
           "Endpoint",
           "Delivery", "EndpointBooking", "FeedToken", "Invitation", "Meeting", "Notice", "Notification",
           "Reminder", "ReportSnapshot", "SchedulerLock", "Series", "TargetRule", "Unit",
           "User", "db", "utcnow"]
