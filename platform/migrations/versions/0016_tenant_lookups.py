"""Row-level security on the tables that find a tenant (api_keys, tenant_domains,
staff_memberships): the app role reads a tenant's own rows like any tenant-owned row, and
answers the questions it asks before the tenant is known through `SECURITY DEFINER`
functions that answer nothing else (jifen.tenants.lookups). An API key is found only
with its secret's digest, so SQL run as the app cannot read digests back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("api_keys", "tenant_domains", "staff_memberships")

# Owned by the migrating role (the tables' owner, which row security does not bind);
# search_path pinned and every name qualified, so a caller's objects are never used.
FUNCTIONS = {
    "jifen_api_key(text, bytea)": """
        RETURNS TABLE (id uuid, tenant_id uuid, scopes jsonb, last_used_at timestamptz,
                       rate_limit integer)
        AS $$
            SELECT k.id, k.tenant_id, k.scopes, k.last_used_at, k.rate_limit
            FROM public.api_keys AS k
            WHERE k.prefix = $1 AND k.digest = $2 AND k.revoked_at IS NULL
        $$""",
    "jifen_host_tenant(text)": """
        RETURNS uuid
        AS $$ SELECT d.tenant_id FROM public.tenant_domains AS d WHERE d.domain = $1 $$""",
    "jifen_staff_roles(uuid)": """
        RETURNS TABLE (tenant_id uuid, role text)
        AS $$
            SELECT s.tenant_id, s.role::text FROM public.staff_memberships AS s
            WHERE s.user_id = $1
        $$""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    operator = operator_role()
    for table in TABLES:
        isolate_tenants(table, operator)
    for signature, body in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {signature} {body}"
            " LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
        )
        # Callable by the roles jifen.migrations.env grants, not by every role.
        op.execute(f"REVOKE EXECUTE ON FUNCTION {signature} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    for table in TABLES:
        op.execute(f"DROP POLICY cross_tenant ON {table}")
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
