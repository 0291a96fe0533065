"""Fixtures: the app on SQLite and on a real PostgreSQL, tenants, keys and a moving clock.

PostgreSQL and Redis servers are started by the tests from the installed binaries (one
of each per xdist worker). Without the binaries those tests skip with the reason, except
under JIFEN_REQUIRE_SERVICES=1 (set by .ci/run), where a missing service is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from jifen import devservers, migrate
from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.clock import ManualClock
from jifen.config import Settings
from jifen.services import Services
from jifen.tenants import apikeys
from jifen.tenants import service as tenants

hypothesis_settings.register_profile("ci", deadline=None, max_examples=60)
hypothesis_settings.register_profile("dev", deadline=None, max_examples=25)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REQUIRE_SERVICES = os.environ.get("JIFEN_REQUIRE_SERVICES") == "1"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
_counter = itertools.count()


def unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"JIFEN_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# --- servers -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[devservers.PostgresServer]:
    try:
        server = devservers.start_postgres(tmp_path_factory.mktemp("pg"))
    except devservers.ServiceUnavailable as error:
        unavailable(f"PostgreSQL unavailable: {error}")
    try:
        server.create_database("jifen_template")
        settings = Settings.from_env(
            database_url=server.url("jifen_template"),
            migration_database_url=server.owner_url("jifen_template"),
            instance_path=tmp_path_factory.mktemp("pg-instance"),
        )
        migrate.upgrade(settings)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        server = devservers.start_redis(tmp_path_factory.mktemp("redis"))
    except devservers.ServiceUnavailable as error:
        unavailable(f"Redis unavailable: {error}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    migrate.upgrade(Settings.from_env(database_url=f"sqlite:///{path}", instance_path=folder))
    return path


@dataclass(frozen=True)
class DatabaseUrls:
    engine: str
    app: str
    owner: str


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseUrls]:
    """A fresh migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "jifen.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield DatabaseUrls("sqlite", url, url)
        return
    server: devservers.PostgresServer = request.getfixturevalue("postgres")
    name = f"t_{os.getpid()}_{next(_counter)}"
    server.create_database(name, template="jifen_template")
    try:
        yield DatabaseUrls("postgresql", server.url(name), server.owner_url(name))
    finally:
        server.drop_database(name)


# For tests whose outcome does not depend on the database engine (DESIGN: they run on
# SQLite only, to keep the suite's time).
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database") == "postgresql":
            item.add_marker(pytest.mark.postgresql)


# --- the app -------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(database: DatabaseUrls, tmp_path: Path, clock: ManualClock) -> Iterator[Flask]:
    settings = Settings.from_env(
        {},
        database_url=database.app,
        migration_database_url=database.owner,
        instance_path=tmp_path / "instance",
        secret_key="test-secret-" + "x" * 40,
        testing=True,
    )
    app = create_app(settings)
    services(app).clock = clock
    yield app
    services(app).close()


def services(app: Flask) -> Services:
    return app.extensions["jifen.services"]


@pytest.fixture
def svc(app: Flask) -> Services:
    return services(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass(frozen=True)
class TenantKey:
    tenant_id: uuid.UUID
    slug: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_tenant(svc: Services):
    """Creates a tenant with an API key holding the given scopes."""

    def make(slug: str | None = None, scopes: tuple[str, ...] = tuple(apikeys.SCOPES)):
        return create_tenant_with_key(svc, slug or f"shop{next(_counter)}", scopes)

    return make


def create_tenant_with_key(
    svc: Services, slug: str, scopes: tuple[str, ...] = tuple(apikeys.SCOPES)
) -> TenantKey:
    """A tenant and an API key of it, for tests that build an app of their own."""
    with svc.db.transaction() as session:
        tenant = tenants.create_tenant(
            session, slug=slug, name=slug.title(), actor=SYSTEM, clock=svc.clock
        )
        _, token = apikeys.create_api_key(
            session,
            tenant_id=tenant.id,
            name="test",
            scopes=list(scopes),
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
    return TenantKey(tenant.id, slug, token)


@pytest.fixture
def tenant(make_tenant) -> TenantKey:
    return make_tenant("acme")


def raw_connect(url: str) -> psycopg.Connection:
    """A plain psycopg connection (no ORM, no guard) for the given SQLAlchemy URL."""
    sa = make_url(url)
    return psycopg.connect(
        host=sa.host, port=sa.port, user=sa.username, dbname=sa.database, autocommit=False
    )
