"""flash_sale: 500 members racing for one product with stock 50 through
`POST /api/v1/orders`, against the minimal transactional write.

Ours is `wsgi:app` under gunicorn with one tenant, 500 members holding points and one
physical product with 50 units; every request orders one unit for the next member in
turn, with a shipping address. The first 50 orders take the stock; every later request
must be refused cleanly (409 `out_of_stock`). Completed requests per second (orders plus
clean refusals) are compared with `bench.reference:write_app` (one INSERT and COMMIT on
the same database and driver); `vs_bare=` compares with `bench.reference:bare_app`.
After the load, `oversold=` counts orders beyond the stock (anything but 0 is a bug),
and the product's stock, the orders and the members' points must agree.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.api_floor import _run, against_reference, ours_env, set_up_ours
from bench.http import ROTATE, BenchError, Load, Result, bench_database, log

NAME = "flash_sale"
MEMBERS = 500
STOCK = 50
PRICE = 1_000
ADDRESS = {
    "name": "张伟",
    "phone": "13800138000",
    "region": "上海市 浦东新区",
    "line": "世纪大道 1 号",
}

# Run in a child process with ours' environment: prints {"token", "members", "product"}.
_SETUP = """
import json, secrets, sys
from jifen import audit
from jifen.app import create_app
from jifen.ledger import service as ledger
from jifen.mall import catalog
from jifen.tenants.apikeys import create_api_key
from bench.books import tenant_with_members

count, stock, price = (int(a) for a in sys.argv[1:4])
app = create_app()
services = app.extensions["jifen.services"]
tenant = tenant_with_members(services, f"bench-{secrets.token_hex(4)}", count)
with services.db.transaction(tenant_id=tenant.id) as session:
    ledger.earn_batch(
        session, [(m, 10 * price) for m in tenant.members], actor=audit.SYSTEM,
        clock=services.clock,
    )
    product = catalog.create_product(
        session, tenant.id,
        {"kind": "physical", "name": "限量款 Limited edition", "points_price": price,
         "stock": stock, "status": "active"},
        modes=services.redeem_modes, tiers=[], actor=audit.SYSTEM, clock=services.clock,
    )
    _key, token = create_api_key(
        session, tenant_id=tenant.id, name="bench", scopes=["mall:write", "mall:read"],
        actor=audit.SYSTEM, clock=services.clock, keyring=services.keyring,
    )
print(json.dumps({
    "token": token, "members": [str(m) for m in tenant.members], "product": str(product.id),
    "tenant": str(tenant.id),
}))
"""

# Prints {"orders", "stock", "sold", "spent", "verified"} for the tenant.
_AUDIT = """
import json, sys, uuid
from sqlalchemy import func, select
from jifen.app import create_app
from jifen.ledger.models import Account
from jifen.ledger.verify import verify_tenant
from jifen.mall.models import Order, Product

tenant_id, product_id = uuid.UUID(sys.argv[1]), uuid.UUID(sys.argv[2])
members, points = int(sys.argv[3]), int(sys.argv[4])
services = create_app().extensions["jifen.services"]
with services.db.session(tenant_id=tenant_id) as session:
    product = session.get(Product, (tenant_id, product_id))
    held = session.scalar(
        select(func.sum(Account.balance)).where(Account.member_id.is_not(None))
    )
    print(json.dumps({
        "orders": session.scalar(select(func.count()).select_from(Order)),
        "stock": product.stock,
        "sold": product.sold,
        "spent": int(members * points - held),
        "verified": verify_tenant(session.connection(), tenant_id) is None,
    }))
"""


def run(db: str) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp,
        bench_database(db, Path(tmp)) as database,
    ):
        workdir = Path(tmp)
        env = ours_env(database, workdir)
        log(f"{NAME}: migrating ours; {MEMBERS} members and one product of {STOCK} units")
        prepared = set_up_ours(env, _SETUP, str(MEMBERS), str(STOCK), str(PRICE))
        load = Load(
            path="/api/v1/orders",
            method="POST",
            headers={
                "Authorization": f"Bearer {prepared['token']}",
                "Content-Type": "application/json",
            },
            body={"member_id": ROTATE, "product_id": prepared["product"], "address": ADDRESS},
            expected_status=201,
            rotate=tuple(prepared["members"]),
            refusals={409: '"out_of_stock"'},
        )
        result = against_reference(NAME, database, env, load, workdir)
        books = json.loads(
            _run(
                [
                    sys.executable,
                    "-c",
                    _AUDIT,
                    prepared["tenant"],
                    prepared["product"],
                    str(MEMBERS),
                    str(10 * PRICE),
                ],
                env,
                "audit",
            )
            .strip()
            .splitlines()[-1]
        )
        log(f"{NAME}: after the load {books}")
        oversold = max(0, books["orders"] - STOCK)
        consistent = (
            books["verified"]
            and books["stock"] + books["sold"] == STOCK
            and books["sold"] == books["orders"]
            and books["spent"] == books["orders"] * PRICE
        )
        if not consistent:
            raise BenchError(f"{NAME}: stock, orders and points disagree: {books}")
        return replace(result, extra={"oversold": str(oversold), **result.extra})
