"""The JSON API under /api/v1: bearer tokens, `{"error": ...}` on every refusal."""
from . import attendance, briefing, followup, meetings, registry, reports
from .common import bp

__all__ = ["attendance", "bp", "briefing", "followup", "meetings", "registry", "reports"]
