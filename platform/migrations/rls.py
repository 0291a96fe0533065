"""Row-level security for tenant-owned tables (PostgreSQL only; a no-op elsewhere).

The policy lets a row through when it belongs to the transaction's tenant
(`set_config('jifen.tenant_id', ..., true)`, set by jifen.db after BEGIN) or when the
transaction opened a logged cross-tenant scope. Table owners are not bound by RLS; the
app connects as another role.
"""

from __future__ import annotations

from alembic import op

POLICY = (
    "tenant_id = nullif(current_setting('jifen.tenant_id', true), '')::uuid"
    " OR current_setting('jifen.cross_tenant', true) = 'on'"
)


def enable_tenant_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})")
