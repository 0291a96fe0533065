"""earn_api: single purchase events through `POST /api/v1/events` against the minimal
transactional write.

Ours is `wsgi:app` under gunicorn, with one tenant carrying the demo's tiers and rules
(spend, tier multiplier, member-day and threshold campaigns, a daily cap and the rest)
and 1,000 members, a third of them silver and a third gold. Every request is a purchase
of two lines with a unique order id, for the next member in turn: ours validates it,
dedupes it, locks the wallet, evaluates the rules against the member's history, posts an
earn entry and answers with the breakdown. Every member has a purchase a month earlier,
and the database is analyzed before the load. The reference is
`bench.reference:write_app` (one INSERT and COMMIT on the same database and driver);
`vs_bare=` compares ours with `bench.reference:bare_app` (no database).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.api_floor import against_reference, ours_env, set_up_ours
from bench.http import ROTATE, UNIQUE, Load, Result, bench_database, log

NAME = "earn_api"
MEMBERS = 1_000

# Run in a child process with ours' environment: prints {"token", "members"} last.
# Every member gets a purchase a month back, so that wallets, history and daily totals
# exist as at a merchant in business, and the database is analyzed (as autovacuum does on
# a live PostgreSQL) so that the planner knows the tables' sizes.
_SETUP = """
import json, secrets, sys
from datetime import timedelta
from sqlalchemy import text
from jifen import audit, demo
from jifen.app import create_app
from jifen.rules.events import EventIn
from jifen.rules.recording import record_batch
from jifen.tenants.apikeys import create_api_key
from bench.books import tenant_with_members
from bench.earn_api import PURCHASE
from bench.earn_batch import give_tiers
from bench.reference import make_engine

count = int(sys.argv[1])
app = create_app()
services = app.extensions["jifen.services"]
tenant = tenant_with_members(services, f"bench-{secrets.token_hex(4)}", count)
with services.db.transaction(tenant_id=tenant.id) as session:
    demo.seed_earn_program(
        session, tenant.id, rule_types=services.rule_types, actor=audit.SYSTEM,
        clock=services.clock,
    )
    _key, token = create_api_key(
        session, tenant_id=tenant.id, name="bench", scopes=["events:write"],
        actor=audit.SYSTEM, clock=services.clock, keyring=services.keyring,
    )
give_tiers(services, tenant.id, tenant.members)
earlier = services.clock.now() - timedelta(days=30)
with services.db.transaction(tenant_id=tenant.id) as session:
    outcomes = record_batch(
        session,
        [
            EventIn(f"history-{n}", "purchase", PURCHASE, member_id=m, occurred_at=earlier)
            for n, m in enumerate(tenant.members)
        ],
        rule_types=services.rule_types, actor=audit.SYSTEM, clock=services.clock,
    )
assert all(outcome.error is None for outcome in outcomes)
owner = make_engine(services.settings.migration_database_url)
with owner.connect() as connection:
    connection.exec_driver_sql("ANALYZE")
    connection.commit()
owner.dispose()
print(json.dumps({"token": token, "members": [str(m) for m in tenant.members]}))
"""

PURCHASE = {
    "amount": 25_800,
    "currency": "CNY",
    "lines": [
        {"sku": "tea-01", "category": "food", "amount": 12_800},
        {"sku": "cup-02", "category": "home", "amount": 13_000},
    ],
}


def run(db: str) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp,
        bench_database(db, Path(tmp)) as database,
    ):
        workdir = Path(tmp)
        env = ours_env(database, workdir)
        log(f"{NAME}: migrating ours and seeding the demo's rules, {MEMBERS} members")
        prepared = set_up_ours(env, _SETUP, str(MEMBERS))
        load = Load(
            path="/api/v1/events",
            method="POST",
            headers={
                "Authorization": f"Bearer {prepared['token']}",
                "Content-Type": "application/json",
            },
            body={"id": UNIQUE, "kind": "purchase", "member_id": ROTATE, "data": PURCHASE},
            expected_status=201,
            rotate=tuple(prepared["members"]),
        )
        return against_reference(NAME, database, env, load, workdir)
