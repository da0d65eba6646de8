"""The command line: `flask setup`, `flask units import`, `flask users create|token`."""
from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from models import Unit, User, db
from models.registry_import import import_units
from models.units import find_unit
from models.users import ROLES, issue_api_token

from . import cli_demo, cli_reports, cli_scheduler


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


def create_user(email: str, role: str, unit_ref: str | None, password: str | None = None,
                name: str | None = None) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when not given)."""
    if role not in ROLES:
        raise click.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    unit = None
    if role != "admin":
        if not unit_ref:
            raise click.BadParameter(f"a {role} needs a unit", param_hint="--unit")
        unit = find_unit(unit_ref)
        if unit is None:
            raise click.BadParameter(f"no unit {unit_ref!r}", param_hint="--unit")
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if db.session.scalar(select(User).where(User.email == email)):
        raise click.BadParameter(f"{email} already has an account", param_hint="EMAIL")
    password = password or secrets.token_urlsafe(12)
    user = User(email=email, role=role, unit=unit, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user, password


def register_cli(app: Flask) -> None:
    units = click.Group("units", help="The registry of units.")
    users = click.Group("users", help="Accounts and API tokens.")

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
        user, pw = create_user(email, role, unit_ref, password)
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
        db.session.commit()
        click.echo(token)

    @app.cli.command("setup")
    @click.option("--province", default=1, type=int, show_default=True)
    @click.option("--dataset", type=click.Choice(["legacy", "2025"]), default="legacy", show_default=True)
    def setup(province: int, dataset: str):
        """On an empty database: load the units and create an admin (password printed once)."""
        if not db.session.scalar(select(func.count(Unit.id))):
            _import(province, dataset)
        if not db.session.scalar(select(func.count(User.id))):
            user, pw = create_user("admin@giaoban.local", "admin", None)
            click.echo("=" * 60)
            click.echo(f"Admin account: {user.email}")
            click.echo(f"Password (shown once): {pw}")
            click.echo("=" * 60)

    app.cli.add_command(units)
    app.cli.add_command(users)
    for module in (cli_demo, cli_reports, cli_scheduler):
        module.register(app)
