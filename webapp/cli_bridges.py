"""`flask bridges add NAME --capacity N` and `flask bridges list`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from models import Bridge, db
from models.errors import DomainError
from scheduler.bridges import add_bridge


@click.group("bridges", help="Bridges (MCUs) that carry online meetings.")
def bridges() -> None:
    pass


@bridges.command("add")
@click.argument("name")
@click.option("--capacity", type=int, required=True, help="Ports the bridge carries at once.")
@click.option("--dial-prefix", default=None, help="The prefix participants dial.")
@click.option("--notes", default=None)
def add(name: str, capacity: int, dial_prefix: str | None, notes: str | None) -> None:
    """Add a bridge."""
    try:
        bridge = add_bridge({"name": name, "capacity": capacity, "dial_prefix": dial_prefix, "notes": notes}, None)
    except DomainError as exc:
        problems = "; ".join(m for ms in exc.details.values() for m in ms) or exc.translated(lambda m: m)
        raise click.ClickException(problems) from exc
    click.echo(f"Bridge {bridge.id}: {bridge.name}, {bridge.capacity} ports.")


@bridges.command("list")
def list_() -> None:
    """List the bridges."""
    for b in db.session.scalars(select(Bridge).order_by(Bridge.name)):
        click.echo(f"{b.id}\t{b.name}\t{b.capacity}\t{'retired' if b.retired_at else 'in service'}")


def init_app(app: Flask) -> None:
    """Attach this module's commands to the app's CLI."""
    app.cli.add_command(bridges)
