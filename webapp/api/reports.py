"""API: reports."""
from .common import bp  # noqa: F401
