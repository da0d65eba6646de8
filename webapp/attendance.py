"""Pages of the attendance feature."""
from flask import Blueprint

bp = Blueprint("attendance", __name__)
