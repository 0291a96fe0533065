"""The pages a fresh install serves: health, API docs, storefront and console sign-in."""

import re
from collections.abc import Iterator
from typing import Any

from conftest import sqlite_only
from openapi_spec_validator import validate

from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.config import Settings
from jifen.tenants import service as tenants
from jifen.tenants import users
from jifen.tenants.models import Tenant, TenantDomain


def test_health_checks_the_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def test_health_checks_redis_when_configured(database, tmp_path, redis_url):
    def health(url):
        app = create_app(
            Settings.from_env(
                {},
                database_url=database.app,
                operator_database_url=database.operator,
                instance_path=tmp_path,
                secret_key="s" * 48,
                redis_url=url,
            )
        )
        try:
            return app.test_client().get("/api/v1/health")
        finally:
            app.extensions["jifen.services"].close()

    assert health(redis_url).json["checks"]["redis"] == "ok"
    down = health("redis://127.0.0.1:1/0")
    assert down.status_code == 503
    assert down.json["status"] == "unavailable"
    assert down.json["checks"]["redis"].startswith("error")


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html
    for asset in re.findall(r'(?:src|href)="(/api/static/[^"]+)"', html):
        with client.get(asset) as response:
            assert response.status_code == 200, asset
    spec = client.get("/api/openapi.json").json
    assert "/api/v1/members" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/members"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "details",
    }


def bounds(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every `minimum` and `maximum` in a document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum"):
                yield f"{path}/{key}", value
            yield from bounds(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from bounds(value, f"{path}/{index}")


@sqlite_only
def test_the_openapi_document_is_valid_openapi_3(client):
    spec = client.get("/api/openapi.json").json
    validate(spec)  # raises, naming the place, where the document breaks the OpenAPI schema
    found = dict(bounds(spec))
    assert found, "the document states ranges"
    assert {where: value for where, value in found.items() if isinstance(value, str)} == {}
    rate = spec["components"]["schemas"]["TierIn"]["properties"]["earn_multiplier"]
    assert (rate["type"], rate["default"]) == ("string", "1")


def test_storefront_by_slug_shows_the_merchant(client, svc, tenant):
    page = client.get(f"/m/{tenant.slug}/")
    assert page.status_code == 200
    assert "Acme" in page.get_data(as_text=True)
    assert client.get("/m/no-such-shop/").status_code == 404


def test_storefront_by_host(client, svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.add(TenantDomain(domain="points.acme.test", tenant_id=tenant.tenant_id))
    page = client.get("/", headers={"Host": "points.acme.test"})
    assert page.status_code == 200 and "Acme" in page.get_data(as_text=True)
    assert client.get("/", headers={"Host": "unknown.test"}).status_code == 302


def test_suspended_merchant_has_no_storefront(client, svc, tenant):
    with svc.db.transaction() as session:
        session.get(Tenant, tenant.tenant_id).status = "suspended"
    assert client.get(f"/m/{tenant.slug}/").status_code == 404


def test_theme_static_files(client):
    with client.get("/themes/base/static/mall.css") as response:
        assert response.status_code == 200
        assert "PingFang SC" in response.get_data(as_text=True)
    assert client.get("/themes/nope/static/mall.css").status_code == 404
    assert client.get("/themes/base/static/../theme.toml").status_code == 404


def csrf_token(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]


def sign_in(client, login_page, email: str, password: str):
    data = {"email": email, "password": password, "csrf_token": csrf_token(login_page)}
    return client.post("/console/login", data=data)


def test_console_sign_in_and_out(client, svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        user = users.create_user(
            session,
            email="Boss@Acme.test",
            name="Boss",
            password="correct horse 1",
            clock=svc.clock,
        )
        users.add_staff(
            session,
            tenant_id=tenant.tenant_id,
            user_id=user.id,
            role="owner",
            actor=SYSTEM,
            clock=svc.clock,
        )
    login = client.get("/console/login")
    assert login.status_code == 200
    wrong = sign_in(client, login, "boss@acme.test", "wrong password")
    assert wrong.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)
    ok = sign_in(client, login, "boss@acme.test", "correct horse 1")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/console/")
    home = client.get("/console/")
    assert "Acme" in home.get_data(as_text=True) and "owner" in home.get_data(as_text=True)
    chosen = client.post(f"/console/tenants/{tenant.slug}", data={"csrf_token": csrf_token(home)})
    assert chosen.status_code == 302
    home = client.get("/console/")
    assert 'data-testid="current-tenant">Acme<' in home.get_data(as_text=True)
    # A tenant the user is not staff of cannot be chosen.
    other = client.post("/console/tenants/someone-else", data={"csrf_token": csrf_token(home)})
    assert other.status_code == 404
    assert client.post("/console/logout", data={"csrf_token": csrf_token(home)}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_console_refuses_a_post_without_csrf_token(client):
    response = client.post("/console/login", data={"email": "a@b.c", "password": "x" * 12})
    assert response.status_code == 400


def test_unknown_email_and_wrong_password_look_the_same(client, svc):
    login = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"email": "nobody@x.test", "password": "whatever123", "csrf_token": csrf_token(login)},
    )
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_slug_rules(svc):
    import pytest

    from jifen.errors import Conflict, ValidationFailed

    with svc.db.transaction() as session:
        tenants.create_tenant(session, slug="taken", name="T", actor=SYSTEM, clock=svc.clock)
    for slug, error in [
        ("taken", Conflict),
        ("console", Conflict),
        ("Not-Lower", ValidationFailed),
        ("-edge", ValidationFailed),
        ("sp ace", ValidationFailed),
        ("x" * 33, ValidationFailed),
        ("中文", ValidationFailed),
    ]:
        with svc.db.transaction() as session, pytest.raises(error):
            tenants.create_tenant(session, slug=slug, name="T", actor=SYSTEM, clock=svc.clock)
    with svc.db.session() as session:
        assert session.query(Tenant).count() == 1


def test_views_and_hooks_run_as_flask_would_run_them(app):
    # App.ensure_sync answers "is it a coroutine function?" from the code's flags: a plain
    # function or bound method is run as it is, an `async def` goes to Flask's own path.
    def view() -> str:
        return "ok"

    async def coroutine_view() -> str:
        return "ok"

    class Hooks:
        def hook(self) -> None:
            return None

    assert app.ensure_sync(view) is view
    bound = Hooks().hook
    assert app.ensure_sync(bound) is bound
    try:
        wrapped = app.ensure_sync(coroutine_view)
    except RuntimeError as refused:  # Flask without its async extra refuses it
        assert "async" in str(refused)
    else:
        assert wrapped is not coroutine_view
