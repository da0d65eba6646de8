"""Command line: `flask report online-ratio` and `flask report freeze`."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask_babel import force_locale

from models.base import utcnow
from models.errors import DomainError
from reports.attendance import attendance
from reports.csv_writer import report_csv
from reports.online_ratio import online_ratio
from reports.periods import parse_period
from reports.snapshots import freeze_report, frozen_report, get_version
from reports.text_writer import report_text
from reports.xlsx_writer import report_xlsx

from .labels import report_wording

group = click.Group("report", help="Reports: the online-meeting ratio.")


@group.command("online-ratio")
@click.option("--period", required=True, help="2019-03, 2019-Q1 or 2019 (local dates).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "xlsx"]),
              default="table", show_default=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="The language of the table, CSV and XLSX (their words and how numbers are written).")
@click.option("--version", type=int, help="A frozen version instead of the live figures.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
def online_ratio_command(period: str, fmt: str, lang: str, version: int | None, output: str | None):
    """The online-meeting ratio of a month, quarter or year, for the whole city."""
    try:
        p = parse_period(period)
    except DomainError as exc:
        raise click.BadParameter(exc.details["period"][0], param_hint="--period") from exc
    if version is not None:
        snap = get_version(p.label, version)
        if snap is None:
            raise click.BadParameter(f"{p.label} has no frozen version {version}",
                                     param_hint="--version")
        report = frozen_report(snap)
    else:
        report = online_ratio(p, utcnow())
        report["attendance"] = attendance(p)
    with current_app.test_request_context(), force_locale(lang):
        words = report_wording()
    body = {"table": lambda: report_text(report, words).encode(),
            "json": lambda: (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode(),
            "csv": lambda: report_csv(report, words), "xlsx": lambda: report_xlsx(report, words)}[fmt]()
    if output:
        with open(output, "wb") as fh:
            fh.write(body)
        click.echo(f"Wrote {output}.", err=True)
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --output FILE.")
    else:
        click.echo(body, nl=False)


@group.command("freeze")
@click.option("--period", required=True, help="The period to freeze, e.g. 2019-03.")
def freeze_command(period: str):
    """Freeze a period's figures as its next version (earlier versions stay)."""
    try:
        snap = freeze_report(period)
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint="--period") from exc
    click.echo(f"Froze {snap.period} as version {snap.version}.")


def init_app(app) -> None:
    """Attach this module's commands to the app's CLI."""
    app.cli.add_command(group)
