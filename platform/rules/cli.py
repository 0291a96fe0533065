"""`flask jifen events import ...`: a merchant's past orders and refunds, from a file."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import IO

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from jifen.audit import Actor
from jifen.db import cross_tenant
from jifen.rules import imports
from jifen.rules.registry import EarnCollaborators
from jifen.tenants import Tenant

events_cli = AppGroup("events", help="Events the earn engine evaluates.")
IMPORTER = Actor(kind="system", id="import")
# Failures shown on the terminal when they are not written to a file.
SHOWN = 10


@events_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(imports.FORMATS),
    help="csv or jsonl (JSON lines); by default, the file's extension.",
)
@click.option("--batch", default=imports.BATCH, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--errors",
    "errors_to",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every refused line here, as JSON lines.",
)
def import_events(
    file: IO[bytes], slug: str, fmt: str | None, batch: int, errors_to: Path | None
) -> None:
    """Import historical events (orders, refunds, ...) from FILE ('-': standard input).

    Every event is evaluated by the tenant's rules as if sent to POST /api/v1/events and
    must carry its occurred_at. Events are idempotent by their ids: an interrupted import
    can simply be run again. Exits with status 1 when any line was refused.
    """
    fmt = fmt or _format_of(file.name)
    services: EarnCollaborators = current_app.extensions["jifen.services"]
    with services.db.session() as session, cross_tenant(session, "events import"):
        tenant_id = session.execute(select(Tenant.id).where(Tenant.slug == slug)).scalar()
    if tenant_id is None:
        raise click.ClickException(f"no tenant {slug}")
    size = _size(file)
    progress = (
        click.progressbar(length=size, label="Importing events", file=sys.stderr)
        if size
        else contextlib.nullcontext(None)  # a pipe: no length to show progress against
    )
    with progress as bar:
        consumed = bar.update if bar is not None else _ignore
        lines = imports.read_lines(file, fmt, consumed)
        summary = imports.import_events(services, tenant_id, lines, actor=IMPORTER, batch=batch)
    click.echo(
        f"{summary.recorded} recorded, {summary.replayed} already recorded,"
        f" {summary.failed} refused"
    )
    if not summary.failures:
        return
    if errors_to is not None:
        with errors_to.open("w", encoding="utf-8") as out:
            for failure in summary.failures:
                out.write(json.dumps(failure.to_dict(), ensure_ascii=False, default=str) + "\n")
        click.echo(f"refused lines written to {errors_to}", err=True)
    else:
        for failure in summary.failures[:SHOWN]:
            error = failure.error
            click.echo(
                f"line {failure.line}: {error.code}: {error.translated()} {error.details}", err=True
            )
        if summary.failed > SHOWN:
            click.echo(f"... and {summary.failed - SHOWN} more (see --errors)", err=True)
    raise click.exceptions.Exit(1)


def _format_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise click.UsageError("give --format csv or jsonl (the file's name does not say)")


def _ignore(_bytes: int) -> None:
    pass


def _size(file: IO[bytes]) -> int | None:
    try:
        return os.fstat(file.fileno()).st_size or None
    except (OSError, ValueError):
        return None
