"""Only the operator role may open a cross-tenant scope: each tenant-owned table's policy
becomes "the transaction's tenant" for every role, and a second policy lets the role of
JIFEN_OPERATOR_DATABASE_URL see every row while `jifen.cross_tenant` is on. The app role
can still set that setting; it no longer lifts anything.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from jifen.migrations.rls import CROSS_TENANT, POLICY, TENANT, isolate_tenants, operator_role

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The event log's platform events (no tenant) belong to a session with no tenant.
_EVENTS_TENANT = (
    "tenant_id IS NOT DISTINCT FROM nullif(current_setting('jifen.tenant_id', true), '')::uuid"
)


def _isolated_tables() -> list[str]:
    return list(
        op.get_bind().scalars(
            text(
                "SELECT tablename FROM pg_policies WHERE schemaname = current_schema()"
                " AND policyname = 'tenant_isolation' ORDER BY tablename"
            )
        )
    )


def _tenant(table: str) -> str:
    return _EVENTS_TENANT if table == "outbox_events" else TENANT


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    operator = operator_role()
    for table in _isolated_tables():
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        isolate_tenants(table, operator, _tenant(table))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _isolated_tables():
        policy = f"{_tenant(table)} OR {CROSS_TENANT}" if table == "outbox_events" else POLICY
        op.execute(f"DROP POLICY cross_tenant ON {table}")
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({policy}) WITH CHECK ({policy})"
        )
