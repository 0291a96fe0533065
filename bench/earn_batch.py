"""earn_batch: 100,000 purchase events through the events batch path, 10,000 a batch.

Ours: `jifen.rules.recording.record_batch` per batch (one transaction each, as
`POST /api/v1/events:batch` runs it) under the demo's rule set and tiers (spend, tier
multiplier, member-day and threshold campaigns, a daily cap, and the rest of the demo's
rules, which a purchase passes by): it checks and dedupes the events, locks the wallets,
evaluates every rule with the members' history, posts an earn entry per event and
upgrades members who qualify for a higher tier.
Reference: per batch, one transaction that inserts the rows ours wrote for the same
events — the event rows with their results, the award rows, the wallets, entries,
postings (hashed) and lots — and updates the wallets and the members' daily totals, one
executemany per table, with no reads and no rules.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update

from bench.books import (
    ACTOR,
    WALLET_UPDATE,
    account_row,
    alternate,
    ledger_services,
    scaled,
    tenant_with_members,
)
from bench.http import Result, log
from bench.relay import relay_lag
from jifen import demo
from jifen.clock import ManualClock
from jifen.db import writing_for
from jifen.ledger.chain import posting_hash
from jifen.ledger.models import SYSTEM_ACCOUNTS, Account, Entry, Lot, Posting
from jifen.ledger.sql import system_account_id
from jifen.members.models import Member
from jifen.members.sql import add_to_days
from jifen.rules.events import EventIn
from jifen.rules.models import Event, EventAward
from jifen.rules.recording import record_batch
from jifen.services import Services
from jifen.types import new_id

NAME = "earn_batch"
EVENTS = 100_000
MEMBERS = 20_000
BATCH = 10_000
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CATEGORIES = ("food", "apparel", "beauty", "electronics", "gift_card")
ZONE = ZoneInfo("Asia/Shanghai")  # the benchmark tenants' (the default) time zone


def purchases(members: list[Any], count: int, seed: int) -> list[EventIn]:
    """A day's orders (as a till or an online shop syncs them), one to three lines each."""
    rng = random.Random(seed)
    events = []
    for n in range(count):
        lines: list[dict[str, Any]] = [
            {
                "sku": f"sku-{rng.randrange(500)}",
                "category": rng.choice(CATEGORIES),
                "amount": rng.randrange(500, 80_000),
                "quantity": 1,
            }
            for _ in range(rng.randint(1, 3))
        ]
        shipping = rng.choice((0, 0, 800))
        events.append(
            EventIn(
                event_id=f"order-{n}",
                kind="purchase",
                member_id=members[n % len(members)],
                occurred_at=NOW - timedelta(seconds=rng.randrange(24 * 60 * 60)),
                data={
                    "amount": sum(line["amount"] for line in lines) + shipping,
                    "currency": "CNY",
                    "shipping": shipping,
                    "lines": lines,
                },
            )
        )
    return events


def give_tiers(services: Services, tenant_id: Any, members: list[Any]) -> None:
    """A third of the members silver, a third gold (as if they had earned it)."""
    table = Member.__table__
    statement = (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("m"))
        .values(tier=bindparam("tier"))
    )
    with services.db.transaction(tenant_id=tenant_id) as session:
        writing_for(session, tenant_id).execute(
            statement,
            [{"m": m, "tier": ("normal", "silver", "gold")[n % 3]} for n, m in enumerate(members)],
        )


def run(db: str) -> Result:
    count, member_count = scaled(EVENTS), scaled(MEMBERS)
    with ledger_services(db) as services:
        services.clock = ManualClock(NOW)
        log(f"{NAME}: {member_count} members and the demo's rules for ours and the reference")
        ours = tenant_with_members(services, "ours", member_count)
        ref = tenant_with_members(services, "reference", member_count)
        with services.db.transaction(tenant_id=ours.id) as session:
            demo.seed_earn_program(
                session,
                ours.id,
                rule_types=services.rule_types,
                actor=ACTOR,
                clock=services.clock,
            )
        give_tiers(services, ours.id, ours.members)
        events = purchases(ours.members, count, seed=7)
        results: list[list[dict[str, Any]]] = []
        wallets: dict[Any, tuple[Any, bytes | None, int]] = {}
        batches = (count + BATCH - 1) // BATCH

        def ours_slice(i: int) -> None:
            with services.db.transaction(tenant_id=ours.id) as session:
                outcomes = record_batch(
                    session,
                    events[i * BATCH : (i + 1) * BATCH],
                    rule_types=services.rule_types,
                    actor=ACTOR,
                    clock=services.clock,
                )
            failed = [o.error for o in outcomes if o.error is not None]
            if failed:
                raise RuntimeError(f"ours refused events: {failed[:3]}")
            results.append([o.result for o in outcomes if o.result is not None])

        def reference_slice(i: int) -> None:
            members = dict(zip(ours.members, ref.members, strict=True))
            given = events[i * BATCH : (i + 1) * BATCH]
            _reference_batch(services, ref.id, given, results[i], members, wallets)

        log(f"{NAME}: {count} events in {batches} batches of {BATCH}, alternating")
        ours_seconds, ref_seconds = alternate(batches, ours_slice, reference_slice)
        lag = relay_lag(services)
    awards = sum(len(r["awards"]) for batch in results for r in batch)
    return Result(
        NAME,
        count / ours_seconds,
        count / ref_seconds,
        unit=" events/s",
        extra={"awards": str(awards), "relay_lag": lag},
    )


_ACCOUNTS = Account.__table__


def _reference_batch(
    services: Services,
    tenant_id: Any,
    given: list[EventIn],
    results: list[dict[str, Any]],
    members: dict[Any, Any],
    wallets: dict[Any, tuple[Any, bytes | None, int]],
) -> None:
    """The rows ours wrote for these events, written for the reference's own members."""
    now = services.clock.now()
    issued = system_account_id(tenant_id, "issued")
    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("wallets", "events", "awards", "entries", "postings", "lots", "updates")
    }
    days: dict[tuple[Any, date], tuple[int, int]] = {}
    for event, result in zip(given, results, strict=True):
        member_id = members[uuid.UUID(result["member_id"])]
        event_id = new_id()
        day = (member_id, datetime.fromisoformat(result["occurred_at"]).astimezone(ZONE).date())
        points_before, spend_before = days.get(day, (0, 0))
        days[day] = (points_before + result["points"], spend_before + event.data["amount"])
        rows["events"].append(
            {
                "tenant_id": tenant_id,
                "id": event_id,
                "kind": "purchase",
                "event_id": result["event_id"],
                "member_id": member_id,
                "order_id": result["event_id"],
                "occurred_at": datetime.fromisoformat(result["occurred_at"]),
                "received_at": now,
                "data": event.data,
                "request_hash": event.fingerprint(),
                "amount": event.data["amount"],
                "points": result["points"],
                "result": result,
            }
        )
        for seq, award in enumerate(result["awards"]):
            rows["awards"].append(
                {
                    "tenant_id": tenant_id,
                    "event_id": event_id,
                    "seq": seq,
                    "member_id": member_id,
                    "rule_id": None,
                    "rule_type": award["rule_type"],
                    "points": award["points"],
                    "reason": award["reason"],
                    "arm": None,
                    "cap_scope": None,
                    "occurred_at": now,
                }
            )
        points = result["points"]
        if points <= 0:
            continue
        if member_id not in wallets:
            wallet = new_id()
            rows["wallets"].append(account_row(tenant_id, wallet, "wallet", member_id, now))
            wallets[member_id] = (wallet, None, 0)
        wallet, head, seq = wallets[member_id]
        entry, credit = new_id(), new_id()
        digest = posting_hash(head, tenant_id, credit, entry, points, now)
        wallets[member_id] = (wallet, digest, seq + 1)
        rows["entries"].append(
            {
                "tenant_id": tenant_id,
                "id": entry,
                "kind": "earn",
                "actor_kind": ACTOR.kind,
                "actor_id": ACTOR.id,
                "request_id": None,
                "reverses_entry_id": None,
                "reference": f"purchase:{result['event_id']}",
                "memo": None,
                "data": {"event": str(event_id)},
                "created_at": now,
            }
        )
        common = {"tenant_id": tenant_id, "entry_id": entry, "created_at": now}
        rows["postings"].append(
            {**common, "id": new_id(), "account_id": issued, "amount": -points}
            | {"seq": None, "hash": None, "total_after": None}
        )
        rows["postings"].append(
            {**common, "id": credit, "account_id": wallet, "amount": points}
            | {"seq": seq + 1, "hash": digest, "total_after": None}
        )
        rows["lots"].append(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "account_id": wallet,
                "entry_id": entry,
                "amount": points,
                "remaining": points,
                "held": 0,
                "earned_at": now,
                "expires_at": None,
            }
        )
        rows["updates"].append(
            {"t": tenant_id, "a": wallet, "d": points, "h": digest, "s": seq + 1, "now": now}
        )
    with services.db.transaction(tenant_id=tenant_id) as session:
        connection = writing_for(session, tenant_id)
        if issued not in wallets:
            connection.execute(
                insert(_ACCOUNTS),
                [
                    account_row(tenant_id, system_account_id(tenant_id, kind), kind, None, now)
                    for kind in SYSTEM_ACCOUNTS
                ],
            )
            wallets[issued] = (issued, None, 0)
        for table, key in (
            (_ACCOUNTS, "wallets"),
            (Event.__table__, "events"),
            (EventAward.__table__, "awards"),
            (Entry.__table__, "entries"),
            (Lot.__table__, "lots"),
            (Posting.__table__, "postings"),
        ):
            if rows[key]:
                connection.execute(insert(table), rows[key])
        if rows["updates"]:
            connection.execute(WALLET_UPDATE, rows["updates"])
        add_to_days(connection, tenant_id, days)
