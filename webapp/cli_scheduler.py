"""Command line: `flask scheduler run` (the scheduler process) and `flask scheduler tick`."""
from __future__ import annotations

import logging

import click
from flask import current_app

group = click.Group("scheduler", help="The background jobs: reminders and notices.")


@group.command("run")
def run():
    """Run the scheduler process; a second one stands by until the first stops."""
    from scheduler.process import run as run_process

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_process(current_app._get_current_object())


@group.command("tick")
@click.option("--job", type=click.Choice(["reminders", "notices", "stale", "awaiting"]), default="reminders",
              show_default=True)
def tick(job: str):
    """Run one job once, now, in this process."""
    from scheduler import jobs

    fn = {"reminders": jobs.send_reminders, "notices": jobs.send_notices, "stale": jobs.stale_endpoints,
          "awaiting": jobs.awaiting_outcome}[job]
    count = fn(current_app._get_current_object())
    click.echo(f"{job}: {count}")


def init_app(app) -> None:
    """Attach this module's commands to the app's CLI."""
    app.cli.add_command(group)
