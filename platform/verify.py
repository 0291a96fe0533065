"""`flask jifen ledger verify`: every invariant of a tenant's books, and the earn engine's
rows derived from them, recomputed together.

It lives above the domains because it checks several: the ledger does not know the earn
engine, whose daily totals are measured from what the ledger posted.
"""

from __future__ import annotations

import uuid

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from jifen.db import cross_tenant
from jifen.ledger.verify import verify_tenant
from jifen.rules import verify as rules_verify
from jifen.services import Services
from jifen.tenants.models import Tenant


@click.command("verify")
@click.option("--tenant", "tenant", help="A tenant's id or slug.")
@click.option("--all", "everyone", is_flag=True, help="Every tenant.")
@with_appcontext
def verify(tenant: str | None, everyone: bool) -> None:
    """Recompute every invariant of the ledger, and the earn engine's daily totals, tenant
    by tenant; name each tenant's first violation and exit non-zero if any had one."""
    if bool(tenant) == everyone:
        raise click.UsageError("give --tenant ID or --all")
    services: Services = current_app.extensions["jifen.services"]
    failed = 0
    with services.db.session() as session, cross_tenant(session, "ledger verify"):
        query = select(Tenant.id, Tenant.slug).order_by(Tenant.slug)
        if tenant:
            query = query.where((Tenant.slug == tenant) | (Tenant.id == _maybe_id(tenant)))
        targets = list(session.execute(query))
        if not targets:
            raise click.ClickException(f"no tenant {tenant}")
        for tenant_id, slug in targets:
            problem = _first_problem(session.connection(), tenant_id)
            if problem is None:
                click.echo(f"{slug}: ok")
            else:
                failed += 1
                click.echo(f"Error: {slug}: {problem}", err=True)
    if failed:
        raise click.ClickException(f"{failed} of {len(targets)} tenants failed verification")


def _first_problem(connection: Connection, tenant_id: uuid.UUID) -> str | None:
    """The tenant's first violation, or why its rows could not be checked: rows the
    database cannot even add up (written before totals were bounded) must not stop the
    tenants after it from being checked. A savepoint keeps the session usable."""
    try:
        with connection.begin_nested():
            violation = verify_tenant(connection, tenant_id)
            if violation is not None:
                return str(violation)
            days = rules_verify.daily_totals(connection, tenant_id)
            return None if days is None else f"daily totals: {days}"
    except DBAPIError as error:
        return f"could not be checked: {error.orig}"


def _maybe_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
