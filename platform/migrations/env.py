"""Alembic environment: runs as the schema owner, then grants the app's roles their rights.

On PostgreSQL the app connects as a role that does not own the tables, so row-level
security binds it, and so does the operator role of cross-tenant work; migrations
connect through JIFEN_MIGRATION_DATABASE_URL as the owner.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from jifen.db import Base
from jifen.models import load_all

load_all()
config = context.config
target_metadata = Base.metadata


def _grantee(connection, role: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """The role, quoted, if it is one to grant to: not the owner (who has every right)."""
    if connection.dialect.name != "postgresql" or not role:
        return None
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    return None if role == owner else connection.dialect.identifier_preparer.quote(role)


def grant_app_role(connection, app_role: str | None) -> None:  # type: ignore[no-untyped-def]
    role = _grantee(connection, app_role)
    if role is None:
        return
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    )
    connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    # The lookups that run before a tenant is known (migration 0016).
    connection.execute(text(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"))


def withhold_digests(connection, app_role: str | None) -> None:  # type: ignore[no-untyped-def]
    """The app role reads every column of api_keys but the secrets' digests, once keys
    are found through `jifen_api_key`, which compares them as the owner (migration 0016)."""
    role = _grantee(connection, app_role)
    since_0016 = "SELECT to_regprocedure('jifen_api_key(text, bytea)') IS NOT NULL"
    if role is None or not connection.execute(text(since_0016)).scalar_one():
        return
    columns = connection.execute(
        text(
            "SELECT quote_ident(column_name) FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'api_keys'"
            " AND column_name <> 'digest' ORDER BY ordinal_position"
        )
    ).scalars()
    connection.execute(text(f"REVOKE SELECT ON api_keys FROM {role}"))
    connection.execute(text(f"GRANT SELECT ({', '.join(columns)}) ON api_keys TO {role}"))


def point_cross_tenant_policies(connection, operator_role: str | None) -> None:  # type: ignore[no-untyped-def]
    """Every `cross_tenant` policy (migration 0015 on) names the configured operator role,
    also when JIFEN_OPERATOR_DATABASE_URL changed since the migration that created it."""
    role = _grantee(connection, operator_role)
    if role is None:
        return
    tables = connection.execute(
        text(
            "SELECT quote_ident(tablename) FROM pg_policies WHERE schemaname = current_schema()"
            " AND policyname = 'cross_tenant'"
        )
    ).scalars()
    for table in list(tables):
        connection.execute(text(f"ALTER POLICY cross_tenant ON {table} TO {role}"))


def run_migrations_online() -> None:
    url = config.attributes["url"]
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            app_role = config.attributes.get("app_role")
            for role in {app_role, config.attributes.get("operator_role")}:
                grant_app_role(connection, role)
            withhold_digests(connection, app_role)
            point_cross_tenant_policies(connection, config.attributes.get("operator_role"))
    engine.dispose()


run_migrations_online()
