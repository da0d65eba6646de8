"""API: attendance."""
from .common import bp  # noqa: F401
