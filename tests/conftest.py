"""Fixtures of our suite: the app, tenants, keys and a moving clock.

The databases (`database`: SQLite and a real PostgreSQL) and the servers (`postgres`,
`redis_url`) come from the `jifen.testing` pytest plugin, loaded through its entry point.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hook_calls import HookCalls, hook_under_test
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.clock import ManualClock
from jifen.config import Settings
from jifen.services import Services
from jifen.tenants import apikeys
from jifen.tenants import service as tenants
from jifen.testing.pytest_plugin import DatabaseUrls

hypothesis_settings.register_profile("ci", deadline=None, max_examples=60)
hypothesis_settings.register_profile("dev", deadline=None, max_examples=25)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
_counter = itertools.count()


# For tests whose outcome does not depend on the database engine: they run on SQLite
# only, to keep the suite's time.
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


# --- the app -------------------------------------------------------------------------


class EnglishClient(FlaskClient):
    """The suite's test client: answers in English (the suite's language) unless a test
    sends its own `Accept-Language`; tests of the default language drop the header."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(database: DatabaseUrls, tmp_path: Path, clock: ManualClock) -> Iterator[Flask]:
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        migration_database_url=database.owner,
        instance_path=tmp_path / "instance",
        secret_key="test-secret-" + "x" * 40,
        testing=True,
    )
    app = create_app(settings)
    app.test_client_class = EnglishClient
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
    """Creates a tenant with an API key holding the given scopes (see
    `create_tenant_with_key` for the rest)."""

    def make(
        slug: str | None = None, scopes: tuple[str, ...] = tuple(apikeys.SCOPES), **options: Any
    ) -> TenantKey:
        return create_tenant_with_key(svc, slug or f"shop{next(_counter)}", scopes, **options)

    return make


def create_tenant_with_key(
    svc: Services,
    slug: str,
    scopes: tuple[str, ...] = tuple(apikeys.SCOPES),
    *,
    rate_limit: int | None = None,
    **settings: str,
) -> TenantKey:
    """A tenant and an API key of it, for tests that build an app of their own. `settings`
    are the tenant's (`locale`, `timezone`...) where not the defaults; `rate_limit` the
    key's requests a minute (None: the platform's)."""
    with svc.db.transaction() as session:
        tenant = tenants.create_tenant(
            session, slug=slug, name=slug.title(), actor=SYSTEM, clock=svc.clock, **settings
        )
        token = _create_key(svc, session, tenant.id, scopes, rate_limit)
    return TenantKey(tenant.id, slug, token)


def another_key(svc: Services, tenant: TenantKey, *, rate_limit: int | None = None) -> TenantKey:
    """Another API key of the tenant, with every scope and its own rate limit if given."""
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        token = _create_key(svc, session, tenant.tenant_id, tuple(apikeys.SCOPES), rate_limit)
    return TenantKey(tenant.tenant_id, tenant.slug, token)


def _create_key(
    svc: Services,
    session: Session,
    tenant_id: uuid.UUID,
    scopes: tuple[str, ...],
    rate_limit: int | None,
) -> str:
    _, token = apikeys.create_api_key(
        session,
        tenant_id=tenant_id,
        name="test",
        scopes=list(scopes),
        actor=SYSTEM,
        clock=svc.clock,
        keyring=svc.keyring,
        rate_limit=rate_limit,
    )
    return token


@pytest.fixture
def tenant(make_tenant) -> TenantKey:
    return make_tenant("acme")


def raw_connect(url: str) -> psycopg.Connection:
    """A plain psycopg connection (no ORM, no guard) for the given SQLAlchemy URL."""
    sa = make_url(url)
    return psycopg.connect(
        host=sa.host, port=sa.port, user=sa.username, dbname=sa.database, autocommit=False
    )


# --- every hook is called by the platform (see hook_calls.py) -------------------------

HOOK_CALLS = pytest.StashKey[HookCalls]()


@pytest.fixture(autouse=True)
def hook_calls(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a `test_hook_<name>` test, watch the hook calls of every plugin manager built
    from here on (autouse: before the app's)."""
    if hook_under_test(request.node.originalname):
        calls = HookCalls()
        calls.watch(monkeypatch)
        request.node.stash[HOOK_CALLS] = calls


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a `test_hook_<name>` test whose body did not make the platform call `<name>`."""
    calls = item.stash.get(HOOK_CALLS, None)
    if calls is None:
        return (yield)
    calls.recording = True
    try:
        result = yield
    finally:
        calls.recording = False
    hook = hook_under_test(item.originalname)
    if hook not in calls.called:
        pytest.fail(f"The platform never called hook {hook!r} in {item.name}.", pytrace=False)
    return result


# --- what the generated probes covered -----------------------------------------------

# Properties the generated probes record (`record_property`), summed over the run.
PROBE_COUNTS = {"bad_inputs": "bad inputs refused", "routes_probed": "routes probed cross-tenant"}


def pytest_terminal_summary(terminalreporter) -> None:
    """How many bad inputs and cross-tenant routes ran (their reports carry the counts,
    also from xdist's workers)."""
    totals = dict.fromkeys(PROBE_COUNTS, 0)
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name in totals:
                totals[name] += value
    if any(totals.values()):
        shown = ", ".join(f"{totals[name]} {label}" for name, label in PROBE_COUNTS.items())
        terminalreporter.write_line(f"generated probes: {shown}")
