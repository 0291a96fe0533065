"""Every response says what a browser may run and who may frame it, and names no server."""

import re
import threading
import urllib.error
import urllib.request

import pytest
from conftest import sqlite_only
from sqlalchemy import select
from test_cli import run

from jifen.app import create_app
from jifen.audit import SYSTEM, AuditEvent
from jifen.cli import embedded_server, port_of
from jifen.config import Settings
from jifen.errors import ValidationFailed
from jifen.tenants import service as tenants


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy's directives, by name."""
    text = response.headers["Content-Security-Policy"]
    return dict(directive.strip().split(" ", 1) for directive in text.split(";"))


def assert_common_headers(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Server" not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # served over plain HTTP


@sqlite_only
def test_a_page_runs_only_its_own_scripts_and_is_framed_only_by_itself(client, tenant):
    page = client.get(f"/m/{tenant.slug}/")
    assert page.status_code == 200
    assert_common_headers(page)
    directives = policy(page)
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    login = client.get("/console/login")
    assert_common_headers(login)
    assert policy(login)["frame-ancestors"] == "'self'"


@sqlite_only
def test_the_api_answers_load_nothing_and_are_framed_by_no_one(client, tenant):
    for response in (
        client.get("/api/v1/members", headers=tenant.headers),
        client.get("/api/v1/members"),  # a 401
        client.get("/api/openapi.json"),
    ):
        assert response.is_json
        assert_common_headers(response)
        assert policy(response) == {"default-src": "'none'", "frame-ancestors": "'none'"}


@sqlite_only
def test_the_api_docs_inline_script_carries_the_requests_nonce(client):
    first, second = client.get("/api/docs"), client.get("/api/docs")
    assert_common_headers(first)
    nonces = []
    for page in (first, second):
        (nonce,) = re.findall(r'<script nonce="([^"]+)">', page.get_data(as_text=True))
        assert policy(page)["script-src"] == f"'self' 'nonce-{nonce}'"
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 20
    # Every other script of the page is one of our own files.
    scripts = re.findall(r"<script([^>]*)>", first.get_data(as_text=True))
    assert all('src="/api/static/' in s or "nonce=" in s for s in scripts)


@sqlite_only
def test_https_answers_ask_browsers_to_stay_on_https(client, tenant):
    secure = client.get(f"/m/{tenant.slug}/", base_url="https://points.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    api = client.get("/api/v1/health", base_url="https://points.example")
    assert "Strict-Transport-Security" in api.headers


@sqlite_only
def test_a_merchant_lets_its_app_frame_its_mall(client, svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        acme = tenants.by_slug(session, tenant.slug)
        tenants.set_embedding(
            session,
            acme,
            frame_ancestors=["https://app.acme.test", "https://*.acme-partner.test:8443"],
            mall_embedded=True,
            actor=SYSTEM,
            clock=svc.clock,
        )
    ancestors = policy(client.get(f"/m/{tenant.slug}/"))["frame-ancestors"].split()
    assert ancestors == ["'self'", "https://*.acme-partner.test:8443", "https://app.acme.test"]
    # Other pages stay framed by ourselves only.
    assert policy(client.get("/console/login"))["frame-ancestors"] == "'self'"


@sqlite_only
@pytest.mark.parametrize(
    "origin",
    [
        "app.acme.test",  # no scheme
        "https://app.acme.test; script-src *",  # another directive
        "https://app.acme.test 'unsafe-inline'",
        "javascript://x",
        "https://app.acme.test/path",
        "https://app.acme.test\nhttps://evil.test",
        "*",
    ],
)
def test_framing_origins_that_could_bend_the_policy_are_refused(svc, tenant, origin):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        acme = tenants.by_slug(session, tenant.slug)
        with pytest.raises(ValidationFailed):
            tenants.set_embedding(
                session,
                acme,
                frame_ancestors=[origin],
                mall_embedded=False,
                actor=SYSTEM,
                clock=svc.clock,
            )
        assert acme.frame_ancestors == []


@sqlite_only
def test_the_embedded_server_does_not_name_itself(app):
    server = embedded_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port_of(server)}/console/login"
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
            assert response.headers["Server"] is None
            assert response.headers["Date"]
        with urllib.request.urlopen(url.replace("/console/login", "/nothing")) as missing:
            pytest.fail(f"answered {missing.status}")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404 and refused.headers["Server"] is None
    finally:
        stop(server)
        thread.join()


def stop(server) -> None:
    """Stop a waitress server running on another thread: its loop runs while it has
    sockets, so they are closed, by the loop's own thread (through its trigger)."""

    def close_all() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    server.trigger.pull_trigger(close_all)
    server.task_dispatcher.shutdown()


@sqlite_only
def test_the_cli_lets_a_merchants_app_frame_its_mall(app, client, tenant):
    said = run(
        app, "tenants", "embed", tenant.slug, "--origin", "https://app.acme.test", "--in-app"
    )
    assert "framed by https://app.acme.test" in said
    ancestors = policy(client.get(f"/m/{tenant.slug}/"))["frame-ancestors"]
    assert ancestors == "'self' https://app.acme.test"
    assert "itself only" in run(app, "tenants", "embed", tenant.slug)
    assert policy(client.get(f"/m/{tenant.slug}/"))["frame-ancestors"] == "'self'"


@sqlite_only
def test_behind_a_trusted_proxy_the_clients_scheme_and_address_count(
    database, tmp_path, client, svc, tenant
):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    # By default no proxy is trusted: a client cannot claim HTTPS by a header.
    assert (
        "Strict-Transport-Security" not in client.get("/api/v1/health", headers=forwarded).headers
    )
    proxied = create_app(
        Settings.from_env(
            {},
            database_url=database.app,
            operator_database_url=database.operator,
            instance_path=tmp_path / "proxied",
            secret_key="test-secret-" + "x" * 40,
            testing=True,
            proxy_hops=1,
        )
    )
    try:
        answer = proxied.test_client().post(
            "/api/v1/members",
            json={"external_id": "behind-proxy"},
            headers=tenant.headers | forwarded,
        )
    finally:
        proxied.extensions["jifen.services"].close()
    assert answer.status_code == 201
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        ips = session.scalars(
            select(AuditEvent.ip).where(AuditEvent.action == "member.create")
        ).all()
    assert ips == ["203.0.113.9"]
