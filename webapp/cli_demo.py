"""Command line: flask demo."""


def register(app) -> None:
    """Attach this module's commands to the app's CLI."""
