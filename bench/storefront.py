"""storefront: the mall's home page for signed-in members against the same page rendered
from a captured context with no database.

Ours is `wsgi:app` under gunicorn: one tenant in the `classic` theme with 10,000
products on sale in 20 categories and 100,000 members; 100 of them are signed in, with
points, and the load rotates their session cookies. Each request reads the member's
session, points, check-in and tier, the categories, what is popular and new, and what
is recommended for them, and renders the theme's home page. The reference,
`bench.storefront_bare:app`, renders the same template from the context ours rendered
for one of those members (captured once, before the load), with the same Jinja
environment and routes, and no database or session; `vs_bare=` compares ours with the
do-nothing `bench.reference:bare_app`. Target: ratio >= 0.3.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.api_floor import ours_env, set_up_ours
from bench.http import App, Load, Result, bench_database, compare, log

NAME = "storefront"
MEMBERS = 100_000
PRODUCTS = 10_000
SIGNED_IN = 100

# Run in a child process with ours' environment: prints {"slug", "cookies"} last, and
# pickles the home page's template name and context to the path it is given.
_SETUP = """
import json, pickle, secrets, sys
from datetime import timedelta
from sqlalchemy import insert
from jifen import audit
from jifen.app import create_app
from jifen.db import writing_for
from jifen.ledger import service as ledger
from jifen.mall.models import Category, Product
from jifen.session_cookies import mall as mall_surface
from jifen.tenants import sessions
from jifen.tenants.models import Tenant
from jifen.types import new_id
from bench.books import tenant_with_members

members, products, signed_in = (int(arg) for arg in sys.argv[1:4])
context_path = sys.argv[4]
app = create_app()
services = app.extensions["jifen.services"]
clock = services.clock
bench = tenant_with_members(services, f"mall-{secrets.token_hex(3)}", members)
now = clock.now()
with services.db.transaction(tenant_id=bench.id) as session:
    tenant = session.get(Tenant, bench.id)
    tenant.theme = "classic"
    slug = tenant.slug
    categories = [new_id() for _ in range(20)]
    connection = writing_for(session, bench.id)
    connection.execute(insert(Category.__table__), [
        {"tenant_id": bench.id, "id": c, "parent_id": None, "name": f"Shelf {n}",
         "sort_order": n, "created_at": now, "updated_at": now}
        for n, c in enumerate(categories)
    ])
    rows = [
        {"tenant_id": bench.id, "id": new_id(), "kind": "physical", "mode": "exchange",
         "mode_params": {}, "name": f"Product {n}", "description": "",
         "category_id": categories[n % 20], "images": ["/themes/base/static/samples/mug.svg"],
         "tags": [], "points_price": 100 + n % 5000, "cash_price": None, "currency": None,
         "stock": 1000, "sold": n % 97, "listed_from": None, "listed_until": None,
         "limit_per_day": None, "limit_per_week": None, "limit_ever": None, "min_tier": None,
         "tier_discounts": None, "fulfilment": {}, "bundle": None, "sort_order": n,
         "status": "active", "created_at": now - timedelta(seconds=n), "updated_at": now}
        for n in range(products)
    ]
    for start in range(0, len(rows), 2000):
        connection.execute(insert(Product.__table__), rows[start:start + 2000])
chosen = bench.members[:signed_in]
cookies = []
with services.db.transaction(tenant_id=bench.id) as session:
    for member_id in chosen:
        ledger.earn(session, member_id, 5_000, actor=audit.SYSTEM, clock=clock)
    tenant = session.get(Tenant, bench.id)
    surface = mall_surface(tenant)
    for member_id in chosen:
        _row, token = sessions.open_session(
            session, surface=surface.name, subject_id=member_id, tenant_id=bench.id, clock=clock
        )
        cookies.append(f"{surface.cookie}={token}")

# The planner's statistics, as the hourly refresh-statistics job (or PostgreSQL's
# autovacuum) keeps them on a live mall.
from bench.reference import make_engine
owner = make_engine(services.settings.migration_database_url)
with owner.connect() as connection:
    connection.exec_driver_sql("ANALYZE")
    connection.commit()
owner.dispose()

# The context ours renders the home page with, for the first of them.
captured = {}
class Capturing:
    def __init__(self, env): self.env = env
    def get_template(self, name):
        template = self.env.get_template(name)
        class Recorder:
            def render(self, **context):
                captured.update(name=name, context=context)
                return template.render(**context)
        return Recorder()
real = app.extensions["jifen.theme_env"]
app.extensions["jifen.theme_env"] = Capturing(real)
with app.test_client() as client:
    name, token = cookies[0].split("=", 1)
    client.set_cookie(name, token)  # the test client sends its own cookies only
    answer = client.get(f"/m/{slug}/", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 200 and b"theme-classic" in answer.data, answer.status_code
    assert "您好".encode() in answer.data, "the member is not signed in"
app.extensions["jifen.theme_env"] = real
import dataclasses
from types import SimpleNamespace
def plain(value):
    # Rows and dataclasses as plain attributes: what the template reads, picklable.
    if hasattr(value, "__table__"):
        return SimpleNamespace(**{c.key: getattr(value, c.key) for c in value.__table__.columns})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return SimpleNamespace(**{f.name: plain(getattr(value, f.name)) for f in fields})
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
with open(context_path, "wb") as out:
    context = {key: plain(value) for key, value in captured["context"].items()}
    pickle.dump((captured["name"], context), out)
print(json.dumps({"slug": slug, "cookies": cookies}))
"""


def run(db: str) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        with bench_database(db, workdir) as database:
            env = ours_env(database, workdir)
            context = workdir / "home-context.pickle"
            log(f"{NAME}: seeding {MEMBERS} members and {PRODUCTS} products")
            ours = set_up_ours(
                env, _SETUP, str(MEMBERS), str(PRODUCTS), str(SIGNED_IN), str(context)
            )
            load = Load(
                path=f"/m/{ours['slug']}/",
                method="GET",
                headers={"Accept-Language": "zh-CN"},
                rotate=tuple(ours["cookies"]),
                rotate_header="Cookie",
            )
            return compare(
                NAME,
                ours=App("ours", "wsgi:app", env),
                reference=App(
                    "bare-template",
                    "bench.storefront_bare:app",
                    {"JIFEN_BENCH_CONTEXT": str(context)},
                ),
                bare=App("bare", "bench.reference:bare_app", {}),
                load=load,
                workdir=workdir,
            )
