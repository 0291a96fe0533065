"""The migrations build exactly the schema the models describe, on both engines."""

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import raw_connect, sqlite_only
from mall.shop import ADDRESS, a_phone, awaiting_payment, member
from rules.api import call
from sqlalchemy import create_engine, inspect, select, text

from jifen import migrate
from jifen.db import Base
from jifen.mall.models import Order, OrderEvent
from jifen.models import load_all


def test_migrated_schema_matches_the_models(database):
    load_all()
    engine = create_engine(database.owner)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


@sqlite_only
def test_orders_awaiting_payment_were_points_held_before_0009(client, tenant, svc, tmp_path):
    call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": "manual"}, 200)
    held = awaiting_payment(
        client,
        tenant,
        member(client, tenant, 5_000),
        a_phone(client, tenant)["id"],
        address=ADDRESS,
    )
    svc.jobs.wait_idle()
    config = migrate.alembic_config(svc.settings)

    command.downgrade(config, "0008")
    before = statuses(svc, held["id"])
    command.upgrade(config, "head")

    assert before == ["points_held", "created", "points_held"]
    assert statuses(svc, held["id"]) == ["awaiting_payment", "created", "awaiting_payment"]


def statuses(svc, order_id: str) -> list[str]:
    """The order's status, then its history's."""
    orders, history = Order.__table__, OrderEvent.__table__
    with svc.db.engine.connect() as connection:
        status = connection.execute(
            select(orders.c.status).where(orders.c.id == uuid.UUID(order_id))
        ).scalar_one()
        steps = connection.execute(
            select(history.c.status)
            .where(history.c.order_id == uuid.UUID(order_id))
            .order_by(history.c.seq)
        ).scalars()
        return [status, *steps]


@sqlite_only
def test_holds_lose_their_data_column_below_0010_and_keep_their_rows(client, tenant, svc):
    alice = call(client, tenant, "POST", "/members", {"external_id": "alice"}, 201).json["id"]
    spend = {"name": "spend", "type": "spend", "status": "active"}
    call(client, tenant, "POST", "/rules", spend | {"params": {"pending_days": 7}}, 201)
    order = {"amount": 10_000, "currency": "CNY"}
    body = {"id": "order-1", "kind": "purchase", "member_id": alice, "data": order}
    assert call(client, tenant, "POST", "/events", body, 201).json["status"] == "pending"
    config = migrate.alembic_config(svc.settings)

    command.downgrade(config, "0009")
    assert pending_earns(svc) == ({"amount", "kind"}, [100])
    command.upgrade(config, "head")
    assert pending_earns(svc) == ({"amount", "kind", "data"}, [100])


def pending_earns(svc) -> tuple[set[str], list[int]]:
    """Which of the columns amount, kind and data holds have; the pending earns' points."""
    with svc.db.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("holds")}
        points = connection.execute(text("SELECT amount FROM holds WHERE kind = 'pending'"))
        return columns & {"amount", "kind", "data"}, list(points.scalars())


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_below_0015_the_app_role_may_lift_rls_again_and_at_head_it_may_not(
    svc, database, make_tenant
):
    for slug in ("alpha", "beta"):
        make_tenant(slug)
    config = migrate.alembic_config(svc.settings)

    command.downgrade(config, "0014")
    before = tenants_the_app_role_sees_across(database)
    command.upgrade(config, "head")
    after = tenants_the_app_role_sees_across(database)

    assert before == (2, 2)
    assert after == (0, 0)


def tenants_the_app_role_sees_across(database) -> tuple[int, int]:
    """How many tenants' audit events and API keys the app role sees in a cross-tenant
    scope it opened itself."""
    with raw_connect(database.app) as conn:
        conn.execute("SELECT set_config('jifen.cross_tenant', 'on', true)")
        events = conn.execute("SELECT count(DISTINCT tenant_id) FROM audit_events").fetchone()
        keys = conn.execute("SELECT count(DISTINCT tenant_id) FROM api_keys").fetchone()
        return events[0], keys[0]


@sqlite_only
def test_memos_written_below_0017_keep_their_text_in_every_language(client, tenant, svc):
    shopper = member(client, tenant, 5_000)
    body = {"member_id": shopper, "points": 3_000, "order_ref": "POS-1", "order_amount": 10_000}
    held = call(client, tenant, "POST", "/checkout/authorizations", body, 201).json
    call(client, tenant, "POST", f"/checkout/authorizations/{held['id']}:capture", {}, 200)
    config = migrate.alembic_config(svc.settings)
    translated = checkout_memos(client, tenant, shopper)

    command.downgrade(config, "0016")
    command.upgrade(config, "head")

    assert translated == ["checkout order POS-1", "订单 POS-1 积分抵扣"]
    assert checkout_memos(client, tenant, shopper) == ["checkout order POS-1"] * 2


def checkout_memos(client, tenant, member_id: str) -> list[str]:
    """The member's checkout entry's memo in their history, in English, then Chinese."""
    memos = []
    for language in ("en", "zh-CN"):
        history = client.get(
            f"/api/v1/members/{member_id}/points/history?kind=redeem",
            headers=tenant.headers | {"Accept-Language": language},
        )
        (line,) = history.json["items"]
        memos.append(line["memo"])
    return memos
