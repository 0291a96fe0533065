"""Many members racing for a few units: exactly as many orders as units, nobody charged
without an order, and the books balance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.ledger.models import Account
from jifen.ledger.verify import verify_tenant
from jifen.mall.models import Order
from jifen.members import service as members

from .shop import get_product, product

RACERS = 200
UNITS = 20
PRICE = 300
THREADS = 12


def test_two_hundred_members_race_for_twenty_units(app, tenant, svc):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        racers = [
            members.create_member(
                session,
                tenant.tenant_id,
                {"external_id": f"racer-{n}"},
                actor=SYSTEM,
                clock=svc.clock,
                keyring=svc.keyring,
            ).id
            for n in range(RACERS)
        ]
        ledger.earn_batch(session, [(m, 1_000) for m in racers], actor=SYSTEM, clock=svc.clock)
    item = product(
        app.test_client(),
        tenant,
        kind="coupon",
        points_price=PRICE,
        stock=UNITS,
        coupon={"type": "percent_off", "percent_off": 50, "valid_days": 7},
    )

    def race(member_id):
        response = app.test_client().post(
            "/api/v1/orders",
            json={"member_id": str(member_id), "product_id": item["id"]},
            headers=tenant.headers,
        )
        return response.status_code, response.json["code"] if response.status_code != 201 else None

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(race, racers))

    assert sorted(set(results)) == [(201, None), (409, "out_of_stock")]
    assert results.count((201, None)) == UNITS
    after = get_product(app.test_client(), tenant, item["id"])
    assert (after["stock"], after["sold"]) == (0, UNITS)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        winners = set(session.scalars(select(Order.member_id)))
        balances = dict(
            session.execute(
                select(Account.member_id, Account.balance).where(Account.member_id.is_not(None))
            ).all()
        )
        assert session.scalar(select(func.count()).select_from(Order)) == UNITS
        assert verify_tenant(session.connection(), tenant.tenant_id) is None
    assert len(winners) == UNITS
    assert {m: b for m, b in balances.items() if b != 1_000} == dict.fromkeys(
        winners, 1_000 - PRICE
    )
