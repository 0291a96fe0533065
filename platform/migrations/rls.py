"""Row-level security for tenant-owned tables (PostgreSQL only; a no-op elsewhere).

A row is let through when it belongs to the transaction's tenant
(`set_config('jifen.tenant_id', ..., true)`, set by jifen.db after BEGIN). Since 0015 a
transaction's cross-tenant scope (`jifen.cross_tenant`) lifts that only for the operator
role, which cross-tenant work connects as (JIFEN_OPERATOR_DATABASE_URL): the app role can
set the setting but gains nothing by it. Table owners are not bound by RLS; the app and
the operator connect as other roles. New tables use `isolate_tenants`.
"""

from __future__ import annotations

import logging

from alembic import context, op

log = logging.getLogger(__name__)

TENANT = "tenant_id = nullif(current_setting('jifen.tenant_id', true), '')::uuid"
CROSS_TENANT = "current_setting('jifen.cross_tenant', true) = 'on'"
# Before 0015: one policy for every role, which the cross-tenant setting lifted.
POLICY = f"{TENANT} OR {CROSS_TENANT}"


def enable_tenant_rls(table: str) -> None:
    """The policy as migrations 0001 to 0008 created it (0015 replaces it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})")


def isolate_tenants(table: str, operator: str, tenant: str = TENANT) -> None:
    """Row-level security on `table`: every role sees the rows `tenant` lets through (the
    transaction's tenant's), the `operator` role (`operator_role()`) also every row inside
    a cross-tenant scope."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({tenant}) WITH CHECK ({tenant})")
    op.execute(
        f"CREATE POLICY cross_tenant ON {table} TO {operator}"
        f" USING ({CROSS_TENANT}) WITH CHECK ({CROSS_TENANT})"
    )


def operator_role() -> str:
    """The operator role, quoted: the role of JIFEN_OPERATOR_DATABASE_URL (jifen.migrate).

    Where it is the app's own (one URL for both), SQL run as the app can open a
    cross-tenant scope, as before 0015: warned, and documented in docs/security.md.
    """
    attributes = context.config.attributes
    role = attributes.get("operator_role") or attributes.get("app_role")
    if not role:
        log.warning("no operator role configured: every role may open a cross-tenant scope")
        return "PUBLIC"
    if role == attributes.get("app_role"):
        log.warning(
            "the operator role is the app role %s: SQL run as the app can open a"
            " cross-tenant scope (set JIFEN_OPERATOR_DATABASE_URL to another role)",
            role,
        )
    return str(op.get_bind().dialect.identifier_preparer.quote(role))
