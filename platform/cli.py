"""`flask jifen ...`: migrations, tenants, keys, the demo, jobs and the embedded server."""

from __future__ import annotations

import gc
import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session
from waitress.server import TcpWSGIServer, create_server

from jifen import migrate, plugins, schedules
from jifen.audit import Actor
from jifen.db import cross_tenant, set_tenant
from jifen.demo import seeding
from jifen.errors import JifenError
from jifen.ledger import expiry
from jifen.ledger.cli import ledger_cli
from jifen.members import rotation, sign_in_links
from jifen.outbox.cli import relay_cli
from jifen.rules.cli import events_cli
from jifen.services import Services
from jifen.tenants import apikeys, users
from jifen.tenants import service as tenants
from jifen.tenants.models import ApiKey, User
from jifen.verify import verify


class JifenGroup(AppGroup):
    """Reports domain errors as a one-line CLI error with their code, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JifenError as error:
            detail = f" {error.details}" if error.details else ""
            raise click.ClickException(f"{error.code}: {error.translated()}{detail}") from error


jifen = JifenGroup("jifen", help="Jifen administration.")
CLI = Actor(kind="system", id="cli")


def svc() -> Services:
    services: Services = current_app.extensions["jifen.services"]
    return services


# --- database ------------------------------------------------------------------------

db_cli = AppGroup("db", help="Database schema.")
jifen.add_command(db_cli)
ledger_cli.add_command(verify)
jifen.add_command(ledger_cli)
jifen.add_command(events_cli)
jifen.add_command(relay_cli)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the schema to REVISION (default: the newest)."""
    migrate.upgrade(svc().settings, revision)
    click.echo(f"database at {revision}")


# --- plugins -------------------------------------------------------------------------


@jifen.command("plugins")
def list_plugins() -> None:
    """List the loaded plugins and the hooks each implements."""
    for name, dist, hooks in plugins.describe(svc().plugins):
        click.echo(f"{name}  [{dist}]  {', '.join(hooks)}")


# --- tenants, users, keys ------------------------------------------------------------

tenants_cli = AppGroup("tenants", help="Merchants.")
jifen.add_command(tenants_cli)


@tenants_cli.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--owner-email", help="Make this console user the owner.")
def tenants_create(slug: str, name: str, owner_email: str | None) -> None:
    """Create a merchant."""
    s = svc()
    with s.db.transaction() as session:
        tenant = tenants.create_tenant(session, slug=slug, name=name, actor=CLI, clock=s.clock)
        if owner_email:
            user = session.scalar(select(User).where(User.email == owner_email.lower()))
            if user is None:
                raise click.ClickException(f"no user {owner_email}")
            users.add_staff(
                session,
                tenant_id=tenant.id,
                user_id=user.id,
                role="owner",
                actor=CLI,
                clock=s.clock,
            )
    click.echo(f"tenant {tenant.slug} {tenant.id}")


@tenants_cli.command("embed")
@click.argument("slug")
@click.option("--origin", "origins", multiple=True, help="May frame the mall; repeatable.")
@click.option("--in-app/--not-in-app", default=False, help="The mall lives in the merchant's app.")
def tenants_embed(slug: str, origins: tuple[str, ...], in_app: bool) -> None:
    """Let a merchant's sites frame its mall (none given: only our own pages)."""
    s = svc()
    with s.db.transaction() as session:
        tenant = tenants.by_slug(session, slug)
        set_tenant(session, tenant.id)
        tenants.set_embedding(
            session,
            tenant,
            frame_ancestors=list(origins),
            mall_embedded=in_app,
            actor=CLI,
            clock=s.clock,
        )
    click.echo(f"tenant {slug} framed by {' '.join(tenant.frame_ancestors) or 'itself only'}")


@jifen.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_user(email: str, name: str, password: str) -> None:
    """Create a console user."""
    s = svc()
    with s.db.transaction() as session:
        user = users.create_user(session, email=email, name=name, password=password, clock=s.clock)
    click.echo(f"user {user.email} {user.id}")


apikeys_cli = AppGroup("apikeys", help="API keys.")
jifen.add_command(apikeys_cli)


@tenants_cli.command("sign-in-link")
@click.argument("slug")
@click.argument("user_id")
@click.option("--base-url", default="http://127.0.0.1:5000", help="Where the mall is served.")
def tenants_sign_in_link(slug: str, user_id: str, base_url: str) -> None:
    """Print a sign-in link for the member the merchant knows as USER_ID, signed with the
    tenant's newest sign-in key: it opens the member's mall once, within 10 minutes."""
    s = svc()
    with s.db.transaction() as session:
        tenant = tenants.by_slug(session, slug)
        set_tenant(session, tenant.id)
        path = sign_in_links.link_path(session, tenant, user_id, clock=s.clock, keyring=s.keyring)
    click.echo(base_url.rstrip("/") + path)


@apikeys_cli.command("create")
@click.option("--tenant", "slug", required=True)
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, default=sorted(apikeys.SCOPES))
@click.option("--rate-limit", type=int, help="Requests a minute (default: JIFEN_API_RATE_LIMIT).")
def apikeys_create(slug: str, name: str, scopes: tuple[str, ...], rate_limit: int | None) -> None:
    """Create an API key; its token is printed once."""
    s = svc()
    with s.db.transaction() as session:
        tenant = tenants.by_slug(session, slug)
        set_tenant(session, tenant.id)
        _, token = apikeys.create_api_key(
            session,
            tenant_id=tenant.id,
            name=name,
            scopes=list(scopes),
            actor=CLI,
            clock=s.clock,
            keyring=s.keyring,
            rate_limit=rate_limit,
        )
    click.echo(token)


@jifen.command("reencrypt")
@click.option("--batch", default=500, show_default=True)
def reencrypt(batch: int) -> None:
    """Move personal data to the current encryption key (run after adding a key)."""
    s = svc()
    total = 0
    while True:
        with s.db.transaction() as session:
            done = rotation.reencrypt_batch(session, s.keyring, batch=batch)
        total += done
        if done < batch:
            break
    click.echo(f"re-encrypted {total} members under key {s.keyring.current_key_id}")


def _key_with_prefix(session: Session, prefix: str) -> ApiKey:
    """The API key with this public prefix, its tenant set on the session (which must not
    have read yet: the key is found across tenants)."""
    with cross_tenant(session, "an API key found by its prefix"):
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise click.ClickException(f"no API key with prefix {prefix}")
    set_tenant(session, key.tenant_id)
    return key


@apikeys_cli.command("revoke")
@click.argument("prefix")
def apikeys_revoke(prefix: str) -> None:
    """Revoke the API key with this public PREFIX (the part after `jf_`)."""
    s = svc()
    with s.db.transaction() as session:
        key = _key_with_prefix(session, prefix)
        apikeys.revoke_api_key(session, key.tenant_id, key.id, actor=CLI, clock=s.clock)
    click.echo(f"revoked {prefix}")


@apikeys_cli.command("limit")
@click.argument("prefix")
@click.argument("rate_limit", metavar="PER_MINUTE|default")
def apikeys_limit(prefix: str, rate_limit: str) -> None:
    """Give the API key with this PREFIX its own requests a minute, or the default again."""
    if rate_limit != "default" and not rate_limit.isdecimal():
        raise click.BadParameter("a number of requests a minute, or 'default'")
    per_minute = None if rate_limit == "default" else int(rate_limit)
    s = svc()
    with s.db.transaction() as session:
        key = _key_with_prefix(session, prefix)
        apikeys.set_rate_limit(session, key.tenant_id, key.id, per_minute, actor=CLI, clock=s.clock)
    click.echo(f"{prefix}: {per_minute or s.settings.api_rate_limit} requests a minute")


# --- the demo ------------------------------------------------------------------------


@jifen.command("demo")
def demo() -> None:
    """Seed the demo malls (idempotent) and print, for each, a fresh API key and a link
    that opens the mall signed in as one of its members."""
    s = svc()
    seeded = seeding.seed(s, actor=CLI)
    if seeded.owner_password is not None:
        click.echo(f"console: {seeding.DEMO_OWNER} / {seeded.owner_password}")
    else:
        click.echo(f"console: {seeding.DEMO_OWNER} (password shown when the demo was first seeded)")
    for mall in seeded.malls:
        click.echo(
            f"{mall.slug} tenant ({mall.name}, theme {mall.theme}): {mall.members} members;"
            f" API key: {mall.api_key}\n"
            f"  a member's mall, signed in (opens once, within 10 minutes):"
            f" http://127.0.0.1:5000{mall.member_link}\n"
            f"  another link: flask --app wsgi jifen tenants sign-in-link {mall.slug} {mall.member}"
        )


# --- jobs and serving ----------------------------------------------------------------


@jifen.command("tick")
def tick() -> None:
    """Run one round of every periodic job now (and, embedded, the relay rounds the
    sweep woke)."""
    services = svc()
    for name, outcome in schedules.run_round(services, list(schedules.SCHEDULES)).items():
        click.echo(f"{name}: {outcome}")
    services.jobs.wait_idle()


@jifen.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an rq worker for Jifen's queues, the interactive one first (needs
    JIFEN_REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    from jifen.outbox.worker import QUEUES

    url = svc().settings.redis_url
    if not url:
        raise click.ClickException("JIFEN_REDIS_URL is not set")
    # As in wsgi.py: the app's long-lived objects leave the collector's scans (and the
    # forked job processes inherit that). A bulk job (the expiry sweep) keeps tens of
    # thousands of objects alive per batch, enough to set off a full collection each
    # time, and each would otherwise re-scan the whole app.
    gc.freeze()
    Worker(list(QUEUES.values()), connection=Redis.from_url(url)).work(burst=burst)


def embedded_server(app: Flask, host: str, port: int) -> TcpWSGIServer:
    """The embedded mode's web server: waitress, a production WSGI server, with a pool of
    threads in this one process (beside its worker thread and ticker), which does not
    name itself in a `Server` header (that tells a visitor which versions to look up
    exploits for). Port 0 takes a free one (`port_of`)."""
    server = create_server(app, host=host, port=port, threads=EMBEDDED_THREADS, ident="")
    assert isinstance(server, TcpWSGIServer)  # one host and port: one socket
    return server


def port_of(server: TcpWSGIServer) -> int:
    """The port the server listens on."""
    return int(server.getsockname()[1])


EMBEDDED_THREADS = 8


@jifen.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve(host: str, port: int) -> None:
    """The embedded mode: serve the app with waitress and run the periodic jobs every
    minute from one ticker (and one round of expiry reminders at start-up, delivered by
    the worker thread)."""
    services = svc()
    stop = threading.Event()
    click.echo(f"expiry reminders: {expiry.remind(services)} new")
    schedules.start_ticker(services, stop)
    gc.freeze()  # as in wsgi.py: the app's long-lived objects leave the collector's scans
    # The app itself, not the proxy: the server's threads have no app context.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy is typed as Flask
    server = embedded_server(app, host, port)
    click.echo(f"serving on http://{host}:{port_of(server)}/ (Ctrl-C stops)")
    try:
        server.run()
    finally:
        stop.set()
