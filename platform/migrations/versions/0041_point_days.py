"""The tenant's points day by day, rolled up from the postings after commit
(jifen.ledger.daily): what moved through its system accounts on each local day, and the
members whose points moved; the history before this counted afresh from the postings
(as `daily.recount` does, written out here so that this migration stays what it was),
and the events in the log marked as rolled up already.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-08
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from jifen.migrations.rls import isolate_tenants, operator_role
from jifen.types import ID, Json, UTCDateTime

revision: str = "0041"
down_revision: str | Sequence[str] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "point_days",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("redeemed", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.BigInteger(), nullable=False),
        sa.Column("adjusted", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "wallet_days",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("member_id", ID, primary_key=True),
    )
    op.create_table(
        "roll_ups",
        sa.Column("tenant_id", ID, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("applied", sa.BigInteger(), nullable=False),
    )
    _backfill(op.get_bind())
    isolate_tenants("point_days", operator_role())
    isolate_tenants("roll_ups", operator_role())
    isolate_tenants("wallet_days", operator_role())


_FIGURES = {"issued": -1, "redeemed": 1, "expired": 1, "adjustments": -1}
_COLUMNS = {
    "issued": "issued",
    "redeemed": "redeemed",
    "expired": "expired",
    "adjustments": "adjusted",
}
_T = sa.table("tenants", sa.column("id", ID), sa.column("timezone", sa.String))
_E = sa.table(
    "entries", sa.column("tenant_id", ID), sa.column("id", ID), sa.column("created_at", UTCDateTime)
)
_P = sa.table(
    "postings",
    sa.column("tenant_id", ID),
    sa.column("entry_id", ID),
    sa.column("account_id", ID),
    sa.column("amount", sa.BigInteger),
)
_A = sa.table(
    "accounts",
    sa.column("tenant_id", ID),
    sa.column("id", ID),
    sa.column("kind", sa.String),
    sa.column("member_id", ID),
)
_O = sa.table(
    "outbox_events", sa.column("id", ID), sa.column("tenant_id", ID), sa.column("type", sa.String)
)


def _backfill(bind: sa.Connection) -> None:
    now = datetime.now(UTC)
    point_days = sa.table(
        "point_days",
        sa.column("tenant_id", ID),
        sa.column("day", sa.Date),
        *(sa.column(name, sa.BigInteger) for name in ("issued", "redeemed", "expired")),
        sa.column("adjusted", sa.BigInteger),
        sa.column("entries", sa.BigInteger),
    )
    wallet_days = sa.table(
        "wallet_days",
        sa.column("tenant_id", ID),
        sa.column("day", sa.Date),
        sa.column("member_id", ID),
    )
    roll_ups = sa.table("roll_ups", sa.column("tenant_id", ID), sa.column("applied", sa.BigInteger))
    for tenant_id, timezone in bind.execute(sa.select(_T.c.id, _T.c.timezone)).all():
        zone = ZoneInfo(timezone)
        days: dict[Any, dict[str, Any]] = {}
        day_of = {}
        for entry_id, created_at in bind.execute(
            sa.select(_E.c.id, _E.c.created_at).where(_E.c.tenant_id == tenant_id)
        ):
            day = created_at.astimezone(zone).date()
            day_of[entry_id] = day
            found = days.setdefault(
                day, dict.fromkeys(_COLUMNS.values(), 0) | {"entries": 0, "members": set()}
            )
            found["entries"] += 1
        postings = sa.select(_P.c.entry_id, _A.c.kind, _A.c.member_id, _P.c.amount).join(
            _A, (_A.c.tenant_id == _P.c.tenant_id) & (_A.c.id == _P.c.account_id)
        )
        for entry_id, kind, member_id, amount in bind.execute(
            postings.where(_P.c.tenant_id == tenant_id)
        ):
            found = days[day_of[entry_id]]
            if member_id is not None:
                found["members"].add(member_id)
            elif kind in _FIGURES:
                found[_COLUMNS[kind]] += _FIGURES[kind] * int(amount)
        for day, found in days.items():
            members = found.pop("members")
            bind.execute(sa.insert(point_days), {"tenant_id": tenant_id, "day": day, **found})
            if members:
                bind.execute(
                    sa.insert(wallet_days),
                    [{"tenant_id": tenant_id, "day": day, "member_id": m} for m in members],
                )
        if days:
            bind.execute(
                sa.insert(roll_ups),
                {"tenant_id": tenant_id, "applied": 1},
            )
    # What the log holds is counted: the relay's roll-up is to add none of it again.
    logged = (
        bind.execute(sa.select(_O.c.id).where(_O.c.type == "ledger.entries_posted")).scalars().all()
    )
    receipts = sa.table(
        "relay_receipts",
        sa.column("subscriber", sa.String),
        sa.column("event_id", ID),
        sa.column("outcome", Json),
        sa.column("created_at", UTCDateTime),
    )
    done = set(
        bind.execute(
            sa.select(receipts.c.event_id).where(receipts.c.subscriber == "roll-up-points")
        ).scalars()
    )
    rows = [
        {"subscriber": "roll-up-points", "event_id": e, "outcome": {}, "created_at": now}
        for e in logged
        if e not in done
    ]
    if rows:
        bind.execute(sa.insert(receipts), rows)


def downgrade() -> None:
    op.drop_table("roll_ups")
    op.drop_table("wallet_days")
    op.drop_table("point_days")
