"""API: meetings."""
from .common import bp  # noqa: F401
