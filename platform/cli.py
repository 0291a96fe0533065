"""`flask jifen ...`: migrations, tenants, keys, the demo, jobs and the embedded server."""

from __future__ import annotations

import gc
import secrets
import threading
import uuid
from datetime import date, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session
from waitress.server import TcpWSGIServer, create_server

from jifen import demo as demo_program
from jifen import migrate, plugins, schedules
from jifen.audit import Actor
from jifen.db import cross_tenant, set_tenant
from jifen.errors import JifenError
from jifen.ledger import expiry, holds, policy, reversal
from jifen.ledger import service as ledger
from jifen.ledger.cli import ledger_cli
from jifen.mall import orders
from jifen.members import rotation, sign_in_links
from jifen.members import service as members
from jifen.members.models import Member
from jifen.outbox.cli import relay_cli
from jifen.rules import recording
from jifen.rules.cli import events_cli
from jifen.rules.events import EventIn
from jifen.services import Services
from jifen.tenants import apikeys, users
from jifen.tenants import service as tenants
from jifen.tenants.models import ApiKey, Tenant, User
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

DEMO_MEMBERS = [
    ("wx-o6zAJs-001", "张伟", "13800138001", "1990-03-12", ["vip"]),
    ("wx-o6zAJs-002", "王芳", "13800138002", "1988-07-30", []),
    ("wx-o6zAJs-003", "李娜", "13800138003", None, ["new"]),
    ("wx-o6zAJs-004", "刘洋", None, "1995-11-23", []),
    ("app-10005", "Chen Jing", "+85291234567", "1979-01-05", ["vip", "hk"]),
    ("app-10006", "Alice Wong", None, None, ["hk"]),
]
DEMO_OWNER = "owner@demo.jifen.test"


@jifen.command("demo")
def demo() -> None:
    """Seed the demo tenant "demo" (idempotent) and print a fresh API key."""
    s = svc()
    speaker_payment = None
    with s.db.transaction() as session:
        existing = session.scalar(select(Tenant).where(Tenant.slug == "demo"))
        if existing is None:
            password = secrets.token_urlsafe(9)
            owner = users.create_user(
                session, email=DEMO_OWNER, name="Demo Owner", password=password, clock=s.clock
            )
            tenant = tenants.create_tenant(
                session, slug="demo", name="积分示范店 Demo Mall", actor=CLI, clock=s.clock
            )
            users.add_staff(
                session,
                tenant_id=tenant.id,
                user_id=owner.id,
                role="owner",
                actor=CLI,
                clock=s.clock,
            )
            set_tenant(session, tenant.id)
            demo_program.seed_earn_program(
                session, tenant.id, rule_types=s.rule_types, actor=CLI, clock=s.clock
            )
            seeded = []
            for external_id, name, phone, birthday, tags in DEMO_MEMBERS:
                data: dict[str, Any] = {
                    "external_id": external_id,
                    "name": name,
                    "phone": phone,
                    "tags": tags,
                }
                if birthday:
                    data["birthday"] = date.fromisoformat(birthday)
                member = members.create_member(
                    session, tenant.id, data, actor=CLI, clock=s.clock, keyring=s.keyring
                )
                recording.emit_registered(
                    session, member.id, rule_types=s.rule_types, actor=CLI, clock=s.clock
                )
                seeded.append(member.id)
            _seed_points(session, tenant.id, seeded, s)
            _seed_events(session, seeded, s)
            speaker_payment = _seed_orders(session, tenant.id, seeded, s)
            click.echo(f"console: {DEMO_OWNER} / {password}")
        else:
            tenant = existing
            set_tenant(session, tenant.id)
            click.echo(f"console: {DEMO_OWNER} (password shown when the demo was first seeded)")
        # One live demo key at a time: revoke the previous ones, print a new one.
        apikeys.revoke_api_keys_named(session, tenant.id, "demo", actor=CLI, clock=s.clock)
        _, token = apikeys.create_api_key(
            session,
            tenant_id=tenant.id,
            name="demo",
            scopes=sorted(apikeys.SCOPES),
            actor=CLI,
            clock=s.clock,
            keyring=s.keyring,
        )
        count = session.query(Member).count()
        # One live sign-in key too, and a link for the first demo member.
        sign_in_links.revoke_live_keys(session, tenant.id, actor=CLI, clock=s.clock)
        sign_in_links.create_key(session, tenant.id, actor=CLI, clock=s.clock, keyring=s.keyring)
        member_link = sign_in_links.link_path(
            session, tenant, DEMO_MEMBERS[0][0], clock=s.clock, keyring=s.keyring
        )
    if speaker_payment is not None:
        # After the commit, as a member would: the gateway is asked, then paid.
        demo_program.pay_at_the_test_gateway(s, speaker_payment)
    click.echo(f"demo tenant: {count} members; API key: {token}")
    click.echo(
        f"a member's mall, signed in (opens once, within 10 minutes):"
        f" http://127.0.0.1:5000{member_link}\n"
        f"  another link: flask --app wsgi jifen tenants sign-in-link demo {DEMO_MEMBERS[0][0]}"
    )


def _seed_points(session: Any, tenant_id: Any, member_ids: list[Any], s: Services) -> None:
    """Points for the demo: a policy, earnings, a redemption, a refund and a hold."""
    policy.set_policy(
        session,
        tenant_id,
        {"expiry": "rolling", "rolling_months": 24, "transfers_enabled": True},
        actor=CLI,
        clock=s.clock,
    )
    for n, member_id in enumerate(member_ids):
        ledger.earn(session, member_id, 500 + 250 * n, actor=CLI, clock=s.clock, memo="welcome")
    first, second = member_ids[0], member_ids[1]
    spent = ledger.redeem(session, first, 300, actor=CLI, clock=s.clock, reference="demo-1")
    reversal.reverse(session, spent.id, amount=100, actor=CLI, clock=s.clock)
    holds.reserve(session, second, 200, actor=CLI, clock=s.clock, reference="demo-2")
    ledger.transfer(session, first, second, 50, actor=CLI, clock=s.clock)
    # Points expiring inside the policy's 30-day notice window: the reminder round that
    # `serve` runs at start-up reminds this member, and the log notifier shows it.
    soon = s.clock.now() + timedelta(days=10)
    ledger.earn(
        session, member_ids[2], 200, actor=CLI, clock=s.clock, expires_at=soon, memo="expiring soon"
    )


DEMO_ADDRESS = {
    "name": "Alice Wong",
    "phone": "+85291234568",
    "region": "香港 九龍 尖沙咀",
    "line": "彌敦道 100 號",
    "postal_code": None,
}


def _seed_orders(session: Any, tenant_id: Any, member_ids: list[Any], s: Services) -> Any:
    """The demo mall and its first orders: a flask shipped, a coupon issued, a spin of
    the lucky wheel, a game card, and a speaker to be paid partly in cash (the id of its
    payment, paid once this commits)."""
    products = demo_program.seed_catalog(session, s, tenant_id, actor=CLI)
    richest, first = member_ids[-1], member_ids[0]

    def place(member_id: Any, name: str, address: dict[str, Any] | None = None) -> Any:
        return orders.place(
            session, s, tenant_id, member_id, products[name], 1, address=address, actor=CLI
        )

    flask = place(richest, "保温杯 Vacuum flask", DEMO_ADDRESS)
    orders.ship(session, flask.id, "顺丰速运 SF Express", "SF1000000001", actor=CLI, clock=s.clock)
    place(first, "满100减10元券 10 off 100")
    place(member_ids[1], "幸运大转盘 Lucky wheel", DEMO_ADDRESS)
    place(member_ids[-3], "游戏点卡 Game card")
    speaker = place(member_ids[-2], "智能音箱 Smart speaker (积分+现金)", DEMO_ADDRESS)
    return uuid.UUID(speaker.details["payment_id"])


def _seed_events(session: Any, member_ids: list[Any], s: Services) -> None:
    """Events through the demo's rules: purchases, a check-in, a share and a referral."""
    first, second, third = member_ids[:3]
    given = [
        EventIn("demo-order-1001", "purchase", dict(DEMO_PURCHASE), member_id=first),
        EventIn(
            "demo-order-1002", "purchase", {"amount": 52_000, "currency": "CNY"}, member_id=second
        ),
        EventIn("demo-checkin-1", "checkin", member_id=first),
        EventIn("demo-share-1", "share", {"channel": "wechat"}, member_id=second),
        EventIn(
            "demo-referral-1",
            "referral",
            {"inviter_id": str(first), "stage": "registered"},
            member_id=third,
        ),
        EventIn(
            "demo-order-1003", "purchase", {"amount": 9_900, "currency": "CNY"}, member_id=third
        ),
    ]
    for outcome in recording.record_batch(
        session, given, rule_types=s.rule_types, actor=CLI, clock=s.clock
    ):
        if outcome.error is not None:
            raise outcome.error


DEMO_PURCHASE = {
    "amount": 36_800,
    "currency": "CNY",
    "shipping": 1_000,
    "lines": [
        {"sku": "tea-longjing-250g", "category": "food", "amount": 25_800},
        {"sku": "gift-card-100", "category": "gift_card", "amount": 10_000},
    ],
}


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
