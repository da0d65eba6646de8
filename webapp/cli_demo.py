"""Command line: flask demo."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from models import Meeting, db
from models.base import utcnow
from scheduler.demo import DemoError, create_demo_accounts, generate_demo
from scheduler.demo.briefing import furnish_briefings
from scheduler.demo.recent import demo_now

SHOWN = ("meetings", "series", "invitations", "bookings", "held", "cancelled", "scheduled",
         "online", "in_person", "endpoints", "checks", "bridges")


demo = AppGroup("demo", help="Demo data: a realistic year of the city's meetings.")


@demo.command("generate")
@click.option("--year", default=2019, type=int, show_default=True, help="A past year.")
@click.option("--seed", default=1, type=int, show_default=True,
              help="The same seed makes the same year.")
@click.option("--scale", default=1.0, type=float, show_default=True,
              help="K times as many meetings (0.02 for a small set).")
@click.option("--if-empty", is_flag=True, help="Do nothing when meetings exist already.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the demo calls today (default: today in Hà Nội).")
@click.option("--recent/--no-recent", default=True, show_default=True,
              help="Also this year up to today and the next four weeks.")
def generate(year: int, seed: int, scale: float, if_empty: bool, today, recent: bool):
    """Fill the database with a year of meetings, endpoints and checks, the present around
    today, and demo accounts."""
    if if_empty and db.session.scalar(select(func.count(Meeting.id))):
        click.echo("Meetings exist already: nothing generated (--if-empty).")
        return
    with click.progressbar(length=1, label=f"Generating the year {year}") as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, done, 1)
            bar.update(done - bar.pos)
        try:
            counts = generate_demo(year, seed=seed, scale=scale, progress=progress,
                                   today=today.date() if today else None, recent=recent)
        except DemoError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo("Made: " + ", ".join(f"{counts.get(k, 0)} {k.replace('_', ' ')}" for k in SHOWN))
    accounts = create_demo_accounts()
    if accounts:
        click.echo("=" * 60)
        click.echo("Demo accounts (passwords shown once):")
        for user, password in accounts:
            click.echo(f"  {user.email:34} {user.role:9} {user.unit.ref:14} {password}")
        click.echo("=" * 60)
    if recent:
        made = furnish_briefings(demo_now(today.date()) if today else utcnow(), current_app.config)
        click.echo("Briefing: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in made.items()))


def init_app(app) -> None:
    """Attach this module's commands to the app's CLI."""
    app.cli.add_command(demo)
