"""Signed-in sessions: server-side rows behind one cookie per surface, renewed at sign-in,
dead after sign-out, expiry or idleness, and never valid on another surface."""

import uuid
from dataclasses import dataclass

import pytest
from conftest import sqlite_only
from flask import Response
from test_web import csrf_token, sign_in

from jifen import session_cookies, web
from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.config import Settings
from jifen.tenants import service as tenants
from jifen.tenants import sessions, users
from jifen.tenants.models import WebSession

EMAIL, PASSWORD = "boss@acme.test", "correct horse 1"


@pytest.fixture
def staff(svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        user = users.create_user(
            session, email=EMAIL, name="Boss", password=PASSWORD, clock=svc.clock
        )
        users.add_staff(
            session,
            tenant_id=tenant.tenant_id,
            user_id=user.id,
            role="owner",
            actor=SYSTEM,
            clock=svc.clock,
        )
    return user.id


@dataclass
class SetCookie:
    value: str
    attributes: dict[str, str | bool]  # by lower-case name; True for a flag

    def __getitem__(self, name: str) -> str | bool:
        return self.attributes.get(name, False)


def cookie_of(response, name: str) -> tuple[str, SetCookie]:
    """The Set-Cookie header named `name` of a response, and its parts (the standard
    library's parser drops a cookie with an attribute it does not know, `Partitioned`)."""
    for header in response.headers.getlist("Set-Cookie"):
        pair, *attributes = header.split("; ")
        key, _, value = pair.partition("=")
        if key == name:
            parts = (attribute.partition("=") for attribute in attributes)
            found = {k.lower(): v if eq else True for k, eq, v in parts}
            return header, SetCookie(value.strip('"'), found)
    raise AssertionError(f"no cookie {name}")


def console_sign_in(client) -> str:
    response = sign_in(client, client.get("/console/login"), EMAIL, PASSWORD)
    assert response.status_code == 302
    _, morsel = cookie_of(response, "jifen_console")
    return morsel.value


def is_signed_in(client, token: str) -> bool:
    client.set_cookie("jifen_console", token, path="/console")
    return client.get("/console/").status_code == 200


@sqlite_only
def test_the_console_cookie_is_a_random_token_for_the_console_only(client, staff):
    response = sign_in(client, client.get("/console/login"), EMAIL, PASSWORD)
    header, morsel = cookie_of(response, "jifen_console")
    assert morsel["path"] == "/console" and morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert not morsel["secure"]  # the embedded mode's default (the test app has no Redis)
    assert len(morsel.value) >= 40
    # Flask's own cookie signs no one in: it holds the CSRF secret only.
    assert "user_id" not in header


@sqlite_only
def test_sign_in_renews_the_session_and_sign_out_revokes_it(client, staff):
    first = console_sign_in(client)
    assert is_signed_in(client, first)
    second = console_sign_in(client)
    assert second != first
    assert not is_signed_in(client, first), "the session before sign-in ended with it"
    assert is_signed_in(client, second)
    home = client.get("/console/")
    out = client.post("/console/logout", data={"csrf_token": csrf_token(home)})
    assert out.status_code == 302
    _, cleared = cookie_of(out, "jifen_console")
    assert cleared.value == "" and cleared["path"] == "/console"
    # A browser that kept the old cookie is signed out all the same.
    assert not is_signed_in(client, second)


@sqlite_only
def test_a_console_session_ends_when_idle_or_expired(client, svc, clock, staff):
    token = console_sign_in(client)
    clock.advance(hours=1, minutes=59)
    assert is_signed_in(client, token)
    clock.advance(hours=2)
    assert not is_signed_in(client, token), "idle for two hours"
    token = console_sign_in(client)
    for _ in range(6):
        clock.advance(hours=1, minutes=50)
        assert is_signed_in(client, token)
        assert svc.jobs.wait_idle()  # the visit is recorded after the request
    clock.advance(hours=1)  # 12 hours after sign-in, never idle
    assert not is_signed_in(client, token)


@sqlite_only
def test_the_chosen_tenant_is_kept_on_the_session(client, staff, tenant):
    console_sign_in(client)
    home = client.get("/console/")
    client.post(f"/console/tenants/{tenant.slug}", data={"csrf_token": csrf_token(home)})
    assert 'data-testid="current-tenant">Acme<' in client.get("/console/").get_data(as_text=True)


@sqlite_only
def test_forged_or_oversized_tokens_open_nothing(client, staff):
    for token in ("", "x", "é" * 10, "a" * 1000, "jifen"):
        assert not is_signed_in(client, token)


def test_cookies_are_secure_by_default_outside_the_embedded_mode(tmp_path):
    base = {"instance_path": tmp_path, "secret_key": "s" * 48}
    assert not Settings.from_env({}, **base).secure_cookies
    assert Settings.from_env({}, redis_url="redis://cache:6379/0", **base).secure_cookies
    assert Settings.from_env({"JIFEN_COOKIE_SECURE": "1"}, **base).secure_cookies
    production = {"JIFEN_REDIS_URL": "redis://cache:6379/0", "JIFEN_COOKIE_SECURE": "0"}
    assert not Settings.from_env(production, **base).secure_cookies


@sqlite_only
def test_a_secure_deployment_marks_the_console_cookie_secure(database, tmp_path, staff, svc):
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        instance_path=tmp_path / "secure",
        secret_key="test-secret-" + "x" * 40,
        testing=True,
        cookie_secure=True,
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        login = client.get("/console/login", base_url="https://localhost")
        response = client.post(
            "/console/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_token(login)},
            base_url="https://localhost",
            headers={"Referer": "https://localhost/console/login"},  # checked over HTTPS
        )
        _, morsel = cookie_of(response, "jifen_console")
        assert morsel["secure"]
    finally:
        app.extensions["jifen.services"].close()


# --- the mall's sessions: no page signs members in yet, so through the module ---------


def mall_sign_in(app, tenant, member_id):
    """Sign a member in to a mall as a storefront page would; returns the response."""
    with app.test_request_context(f"/m/{tenant.slug}/"):
        response = Response()
        session_cookies.sign_in(response, session_cookies.mall(tenant), member_id)
        assert web.finish(response).status_code == 200  # committed
    return response


def mall_member(app, tenant, token):
    """The member a mall's cookie signs in, as that mall's pages see it."""
    cookie = session_cookies.mall(tenant).cookie
    with app.test_request_context(f"/m/{tenant.slug}/", headers={"Cookie": f"{cookie}={token}"}):
        found = session_cookies.current(session_cookies.mall(tenant))
        return None if found is None else found.subject_id


def tenant_row(svc, slug):
    with svc.db.session() as session:
        return tenants.by_slug(session, slug)


@sqlite_only
def test_each_mall_has_its_own_session_cookie(app, svc, make_tenant):
    acme, globex = tenant_row(svc, make_tenant("acme").slug), tenant_row(svc, make_tenant().slug)
    member = uuid.uuid4()
    response = mall_sign_in(app, acme, member)
    header, morsel = cookie_of(response, f"jifen_mall_{acme.id.hex}")
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert "Partitioned" not in header
    assert mall_member(app, acme, morsel.value) == member
    assert mall_member(app, globex, morsel.value) is None
    # Nor is a mall's session a console one.
    client = app.test_client()
    assert not is_signed_in(client, morsel.value)


@sqlite_only
def test_a_mall_inside_a_merchants_app_sends_a_partitioned_cross_site_cookie(app, svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        tenants.set_embedding(
            session,
            tenants.by_slug(session, tenant.slug),
            frame_ancestors=["https://app.acme.test"],
            mall_embedded=True,
            actor=SYSTEM,
            clock=svc.clock,
        )
    acme = tenant_row(svc, tenant.slug)
    header, morsel = cookie_of(mall_sign_in(app, acme, uuid.uuid4()), f"jifen_mall_{acme.id.hex}")
    assert morsel["samesite"] == "None" and morsel["secure"] and morsel["httponly"]
    assert "; Partitioned" in header


@sqlite_only
def test_a_mall_sign_out_revokes_the_row(app, svc, tenant):
    acme = tenant_row(svc, tenant.slug)
    _, morsel = cookie_of(mall_sign_in(app, acme, uuid.uuid4()), f"jifen_mall_{acme.id.hex}")
    cookie = f"jifen_mall_{acme.id.hex}={morsel.value}"
    with app.test_request_context(f"/m/{acme.slug}/", headers={"Cookie": cookie}):
        out = Response()
        session_cookies.sign_out(out, session_cookies.mall(acme))
        web.finish(out)
    assert mall_member(app, acme, morsel.value) is None
    with svc.db.session() as session:
        row = session.get(WebSession, sessions.token_digest(morsel.value))
        assert row.revoked_at == svc.clock.now()
