"""The pytest plugin: a migrated database on SQLite and on a real PostgreSQL, and Redis.

Registered under the `pytest11` entry point (`pip install 'jifen[testing]'`), so any
project that installs Jifen with that extra gets these fixtures without a conftest line:

- `database`: a fresh migrated database, once on each engine (`params`), as URLs for the
  application's role and for the schema owner; PostgreSQL items carry the `postgresql`
  marker, items using Redis the `redis` marker (`-m "not postgresql"` runs SQLite only).
- `postgres` and `redis_url`: one throwaway server of each per process (per xdist
  worker), started from the installed binaries by `jifen.testing.servers`.
- `sqlite_template`: one migrated SQLite file that `database` copies for each test.
- `browser`: the installed Chromium, headless, driven by playwright (one per process;
  see `jifen.testing.browser`). Items using it carry the `browser` marker and one
  xdist group, so that under `--dist loadgroup` they share one worker and its browser.

Without the binaries, tests that need a server or the browser skip with the reason, except under
`JIFEN_REQUIRE_SERVICES=1` (CI sets it after installing them), where a missing server
is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from jifen import migrate
from jifen.config import Settings
from jifen.testing import browser as browsers
from jifen.testing import servers

TEMPLATE_DATABASE = "jifen_template"
MARKERS = {
    "postgresql": "needs a PostgreSQL server (started by the tests)",
    "redis": "needs a Redis server (started by the tests)",
    "browser": "drives the installed Chromium",
}


def require_services() -> bool:
    """Whether a missing server fails the test instead of skipping it."""
    return os.environ.get("JIFEN_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the current test for a missing server, or fail it under JIFEN_REQUIRE_SERVICES=1."""
    if require_services():
        pytest.fail(f"JIFEN_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tag the PostgreSQL variant of every `database` test, and every test using Redis."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database") == "postgresql":
            item.add_marker(pytest.mark.postgresql)
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


# --- servers -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.PostgresServer]:
    """A throwaway PostgreSQL server with a migrated template database."""
    try:
        server = servers.start_postgres(tmp_path_factory.mktemp("pg"))
    except servers.ServiceUnavailable as error:
        unavailable(f"PostgreSQL unavailable: {error}")
    try:
        server.create_database(TEMPLATE_DATABASE)
        settings = Settings.from_env(
            database_url=server.url(TEMPLATE_DATABASE),
            migration_database_url=server.owner_url(TEMPLATE_DATABASE),
            operator_database_url=server.operator_url(TEMPLATE_DATABASE),
            instance_path=tmp_path_factory.mktemp("pg-instance"),
        )
        migrate.upgrade(settings)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a throwaway Redis server."""
    try:
        server = servers.start_redis(tmp_path_factory.mktemp("redis"))
    except servers.ServiceUnavailable as error:
        unavailable(f"Redis unavailable: {error}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """The installed Chromium, headless, for this process's tests."""
    executable = browsers.find_chromium()
    if executable is None:
        unavailable("no Chromium is installed (Debian: apt-get install chromium fonts-noto-cjk)")
    launched = browsers.launch(playwright, executable)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    migrate.upgrade(Settings.from_env(database_url=f"sqlite:///{path}", instance_path=folder))
    return path


@dataclass(frozen=True)
class DatabaseUrls:
    """Where a test's app connects: as the application's role, as the schema owner, and
    as the role of cross-tenant work."""

    engine: str
    app: str
    owner: str
    operator: str


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseUrls]:
    """A fresh migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "jifen.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield DatabaseUrls("sqlite", url, url, url)
        return
    server: servers.PostgresServer = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex}"
    server.create_database(name, template=TEMPLATE_DATABASE)
    try:
        yield DatabaseUrls(
            "postgresql", server.url(name), server.owner_url(name), server.operator_url(name)
        )
    finally:
        server.drop_database(name)
