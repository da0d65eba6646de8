"""Command line: flask scheduler."""


def register(app) -> None:
    """Attach this module's commands to the app's CLI."""
