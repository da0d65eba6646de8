"""The JSON API under /api/v1: bearer tokens, `{"error": ...}` on every refusal."""
from . import registry
from .common import bp

__all__ = ["bp", "registry"]
