"""Running the Alembic migrations from code (`flask jifen db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from jifen.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = settings.migration_database_url
    config.attributes["app_role"] = make_url(settings.database_url).username
    config.attributes["operator_role"] = make_url(
        settings.operator_database_url or settings.database_url
    ).username
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to `revision`, creating the SQLite file's folder if needed."""
    url = make_url(settings.migration_database_url)
    if url.drivername.startswith("sqlite") and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)
