"""`flask units reorganise`: show what moves from dissolved units to their successors, then apply."""
from __future__ import annotations

import json

import click

from models.base import utcnow
from models.errors import ValidationFailed
from models.units import find_unit
from scheduler.reorganise import apply_reorganisation, plan_reorganisation


def _choices(pairs: tuple[str, ...]) -> dict[int, int]:
    out = {}
    for pair in pairs:
        old_ref, _, new_ref = pair.partition("=")
        old, new = find_unit(old_ref), find_unit(new_ref)
        if old is None or new is None:
            raise click.BadParameter(f"{pair!r}: give OLD=NEW unit references, e.g. legacy:00004=2025:00004",
                                     param_hint="--choose")
        out[old.id] = new.id
    return out


@click.command("reorganise")
@click.option("--dataset", type=click.Choice(["2025"]), default="2025", show_default=True)
@click.option("--choose", multiple=True, metavar="OLD=NEW",
              help="The successor that takes a split unit's holdings (repeatable).")
@click.option("--apply", "apply_", is_flag=True, help="Apply the plan (one transaction, audited).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def units_reorganise(dataset: str, choose: tuple[str, ...], apply_: bool, as_json: bool):
    """Move endpoints, users, feeds, contacts and upcoming invitations to the successor units.

    Without --apply, prints the plan and writes nothing. Past meetings, outcomes and frozen
    reports stay as they were.
    """
    now = utcnow()
    try:
        choices = _choices(choose)
        plan = apply_reorganisation(dataset, now, None, choices) if apply_ else \
            plan_reorganisation(dataset, now, choices)
    except ValidationFailed as exc:
        raise click.BadParameter("; ".join(f"{k}: {', '.join(v)}" for k, v in exc.details.items()),
                                 param_hint="--choose") from exc
    if as_json:
        click.echo(json.dumps(plan.as_dict(), ensure_ascii=False, indent=2))
        return
    totals = plan.totals()
    if plan.empty:
        click.echo("Nothing to move: every dissolved unit's holdings are with its successors.")
    else:
        click.echo(("Moved" if apply_ else "Would move") + f" from {totals['units']} dissolved units: "
                   f"{totals['endpoints']} endpoints, {totals['users']} users, {totals['feed_tokens']} feed tokens, "
                   f"{totals['contacts']} contact addresses, {totals['invitations']} upcoming invitations, "
                   f"{totals['organised']} upcoming meetings organised, {totals['tasks']} follow-up tasks "
                   "not yet done.")
        click.echo(f"Stays as history: {totals['past_invitations']} past invitations, "
                   f"{totals['past_organised']} past meetings organised.")
        for move in plan.moves:
            click.echo(f"  {move.unit.ref} {move.unit.name} -> {move.to.ref} {move.to.name}")
    for split in plan.splits:
        others = ", ".join(f"{o.ref} {o.name}" for o in split.options if o.id != split.chosen.id)
        click.echo(f"Split: {split.unit.ref} {split.unit.name} -> {split.chosen.ref} {split.chosen.name}"
                   f"{' (default)' if split.chosen.id == split.default.id else ''}; also went into: {others}")
    for move in plan.unresolved:
        click.echo(f"No successor, keeps its holdings: {move.unit.ref} {move.unit.name} "
                   f"({move.endpoints} endpoints, {move.users} users, {move.invitations} upcoming invitations)")
    if not apply_ and not plan.empty:
        click.echo("Nothing written. Run again with --apply to apply this plan.")
