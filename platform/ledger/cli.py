"""`flask jifen ledger ...`: run the expiry sweep by hand (`verify`, which checks the
earn engine's rows too, is added to the group by `jifen.verify`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from jifen.collaborators import Collaborators
from jifen.ledger import expiry

ledger_cli = AppGroup("ledger", help="The points ledger.")


def _services() -> Collaborators:
    services: Collaborators = current_app.extensions["jifen.services"]
    return services


@ledger_cli.command("expire")
def expire() -> None:
    """Run the expiry sweep now (it also runs on its schedule)."""
    click.echo(f"{expiry.sweep(_services())} points expired")
