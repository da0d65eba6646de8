"""The JSON API under /api/v1: bearer tokens, `{"error": ...}` on every refusal."""
from . import attendance, followup, meetings, registry, reports
from .common import bp

__all__ = ["attendance", "bp", "followup", "meetings", "registry", "reports"]
