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


def grant_app_role(connection, app_role: str | None) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name != "postgresql" or not app_role:
        return
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    if app_role == owner:
        return
    role = connection.dialect.identifier_preparer.quote(app_role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    )
    connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))


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
            for role in {config.attributes.get("app_role"), config.attributes.get("operator_role")}:
                grant_app_role(connection, role)
    engine.dispose()


run_migrations_online()
