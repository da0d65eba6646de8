"""Pages of the report pages feature."""
from flask import Blueprint

bp = Blueprint("report_pages", __name__)
