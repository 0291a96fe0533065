"""`flask jifen relay ...`: the relay's state, a round by hand, dead letters and replay."""

from __future__ import annotations

import uuid

import click
from flask import current_app
from flask.cli import AppGroup

from jifen.collaborators import Collaborators
from jifen.outbox import sql

relay_cli = AppGroup("relay", help="Domain events and the relay.")


def _services() -> Collaborators:
    services: Collaborators = current_app.extensions["jifen.services"]
    return services


@relay_cli.command("status")
def status() -> None:
    """Each subscriber's cursor per lane: how far behind, and its retry state."""
    rows = _services().relay.status()
    if not rows:
        click.echo("no subscriber has read the log yet")
    for row in rows:
        retry = f" retry at {row['retry_at']:%Y-%m-%d %H:%M:%S}" if row["retry_at"] else ""
        error = f" last error: {row['last_error']}" if row["last_error"] else ""
        click.echo(
            f"{row['subscriber']} [{row['lane']}] at {row['position']},"
            f" {row['behind']} behind ({row['parked']} parked),"
            f" {row['attempts']} failed attempts{retry}{error}"
        )


@relay_cli.command("run")
def run() -> None:
    """Deliver everything deliverable now, on every lane (what the sweep wakes)."""
    progress = _services().relay.drain()
    click.echo(f"delivered {progress.delivered}, failed {progress.failed}")


@relay_cli.command("dead")
@click.option("--subscriber", help="Only this subscriber's.")
def dead(subscriber: str | None) -> None:
    """List the dead letters waiting for replay."""
    services = _services()
    with services.relay.reading() as connection:
        letters = sql.dead_letters(connection, subscriber)
    for letter in letters:
        click.echo(
            f"{letter.subscriber} {letter.event_id} {letter.type} after {letter.attempts}"
            f" attempts: {letter.error}"
        )
    click.echo(f"{len(letters)} dead letters")


@relay_cli.command("replay")
@click.argument("subscriber")
@click.option("--event", "event_id", type=click.UUID, help="Only this event.")
def replay(subscriber: str, event_id: uuid.UUID | None) -> None:
    """Deliver SUBSCRIBER's dead letters again, oldest first."""
    try:
        delivered, failing = _services().relay.replay(subscriber, event_id)
    except KeyError:
        raise click.ClickException(f"no subscriber named {subscriber!r}") from None
    click.echo(f"replayed {delivered}, still failing {failing}")
    if failing:
        raise SystemExit(1)
