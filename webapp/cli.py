"""The command line: `flask setup`, `flask units import`, `flask users create|token`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from models import Unit, User, db
from models.errors import ValidationFailed
from models.registry_import import import_units
from models.users import ROLES, create_user, issue_api_token

from . import cli_demo, cli_reorganise, cli_reports, cli_scheduler


def _import(province: int, dataset: str, departments=None) -> None:
    with click.progressbar(length=1, label=f"Importing {dataset} units of province {province:02d}") as bar:
        def progress(items):
            items = list(items)
            bar.length = len(items)
            for item in items:
                yield item
                bar.update(1)
        result = import_units(province, dataset, progress, departments)
    if result.changed:
        made = ", ".join(f"{n} {level}" for level, n in result.created.items()) or "none"
        click.echo(f"Created: {made}; updated: {result.updated}; dissolved: {result.dissolved}.")
    else:
        click.echo("Nothing changed: the registry already matches the dataset.")


units = click.Group("units", help="The registry of units.")
users = click.Group("users", help="Accounts and API tokens.")
#: where each of create_user's refusals points on the command line
_PARAM_OF = {"role": "--role", "unit": "--unit", "email": "EMAIL"}


def _create_user(email: str, role: str, unit_ref: str | None, password: str | None = None):
    try:
        return create_user(email, role, unit_ref, password)
    except ValidationFailed as exc:
        field, messages = next(iter(exc.details.items()))
        raise click.BadParameter(messages[0], param_hint=_PARAM_OF.get(field, field)) from exc


@units.command("import")
@click.option("--province", default=1, type=int, show_default=True, help="Province code (01 is Hà Nội).")
@click.option("--dataset", type=click.Choice(["legacy", "2025"]), default="legacy", show_default=True)
@click.option("--departments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV of departments (code,division_type,name) instead of the bundled file.")
def units_import(province: int, dataset: str, departments: Path | None):
    """Load a province's units from vietnam-provinces and the departments file."""
    _import(province, dataset, departments)


@users.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "unit_ref", help="The unit's code, e.g. legacy:001 or STTTT.")
@click.option("--password", help="Generated and printed when not given.")
def users_create(email: str, role: str, unit_ref: str | None, password: str | None):
    """Create an account."""
    user, pw = _create_user(email, role, unit_ref, password)
    click.echo(f"Created {user.email} ({user.role}).")
    if not password:
        click.echo(f"Password: {pw}")


@users.command("token")
@click.argument("email")
def users_token(email: str):
    """Issue an API token for an account (shown once)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no account {email}", param_hint="EMAIL")
    token = issue_api_token(user)
    click.echo(token)


@click.command("setup")
@click.option("--province", default=1, type=int, show_default=True)
@click.option("--dataset", type=click.Choice(["legacy", "2025"]), default="legacy", show_default=True)
def setup(province: int, dataset: str):
    """On an empty database: load the units and create an admin (password printed once)."""
    if not db.session.scalar(select(func.count(Unit.id))):
        _import(province, dataset)
    if not db.session.scalar(select(func.count(User.id))):
        user, pw = _create_user("admin@giaoban.local", "admin", None)
        click.echo("=" * 60)
        click.echo(f"Admin account: {user.email}")
        click.echo(f"Password (shown once): {pw}")
        click.echo("=" * 60)


def init_app(app: Flask) -> None:
    """Attach every command of the CLI to the app."""
    units.add_command(cli_reorganise.units_reorganise)
    app.cli.add_command(units)
    app.cli.add_command(users)
    app.cli.add_command(setup)
    for module in (cli_demo, cli_reports, cli_scheduler):
        module.init_app(app)
