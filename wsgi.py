"""Entry point: `flask` finds `create_app` here with no --app; gunicorn uses webapp:create_app()."""
from webapp import create_app

__all__ = ["create_app"]
