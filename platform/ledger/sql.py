"""Core statements of the ledger; every one takes its tenant explicitly.

Reads that precede a write lock the wallet rows (FOR UPDATE on PostgreSQL; on SQLite the
write transaction already holds the database's write lock), always in id order, so that
concurrent work cannot deadlock. Writes are set-based: one executemany per table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import QueryableAttribute, Session

from jifen.db import insert_ignoring_duplicates
from jifen.driver import Batch, DriverStatement
from jifen.ledger.models import (
    SYSTEM_ACCOUNTS,
    WALLET,
    Account,
    Entry,
    Hold,
    HoldLot,
    Lot,
    LotConsumption,
    PointsPolicy,
    Posting,
)
from jifen.members import Member
from jifen.tenants import Tenant
from jifen.types import new_id

_ACCOUNTS = Account.__table__
_LOTS = Lot.__table__
_MEMBERS = Member.__table__
_HOLDS = Hold.__table__
_SYSTEM_NAMESPACE = uuid.UUID("5b1f8d3e-6a3c-4c59-9a59-2f2b8e3f6a10")
_HALF = 2**32


def system_account_id(tenant_id: uuid.UUID, kind: str) -> uuid.UUID:
    """System accounts have ids derived from their tenant and kind: no lookup needed."""
    return uuid.uuid5(_SYSTEM_NAMESPACE, f"{tenant_id}:{kind}")


def member_statuses(
    connection: Connection, tenant_id: uuid.UUID, member_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    query = select(_MEMBERS.c.id, _MEMBERS.c.status).where(
        _MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.id.in_(list(member_ids))
    )
    return {row.id: row.status for row in connection.execute(query)}


def create_wallets(
    connection: Connection, tenant_id: uuid.UUID, member_ids: Iterable[uuid.UUID], now: datetime
) -> None:
    """Open wallets for members that have none (and the tenant's system accounts)."""
    base = {"tenant_id": tenant_id, "balance": 0, "held": 0, "debt": 0, "seq": 0}
    base |= {"head_hash": None, "created_at": now, "updated_at": now}
    system = [
        {**base, "id": system_account_id(tenant_id, kind), "kind": kind, "member_id": None}
        for kind in SYSTEM_ACCOUNTS
    ]
    insert_ignoring_duplicates(connection, _ACCOUNTS, system)
    wallets = [
        {**base, "id": new_id(), "kind": WALLET, "member_id": member_id} for member_id in member_ids
    ]
    if wallets:
        insert_ignoring_duplicates(connection, _ACCOUNTS, wallets)


class _ByIds:
    """One statement in two forms: for one id (`column = :name`), the hot path's case,
    and for several (`column IN (:name)`). An expanding IN renders its SQL anew at every
    execution, a cost a single member's operation need not pay."""

    def __init__(
        self, build: Callable[[ColumnElement[bool]], Select[Any]], column: Any, name: str
    ) -> None:
        self.one = build(column == bindparam(name))
        self.many = build(column.in_(bindparam(name, expanding=True)))
        self.name = name

    def rows(self, connection: Connection, ids: Sequence[Any], **params: Any) -> list[Any]:
        if len(ids) == 1:
            return list(connection.execute(self.one, params | {self.name: ids[0]}))
        return list(connection.execute(self.many, params | {self.name: list(ids)}))


def _wallets_locked(members: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            _ACCOUNTS.c.id,
            _ACCOUNTS.c.member_id,
            _ACCOUNTS.c.balance,
            _ACCOUNTS.c.held,
            _ACCOUNTS.c.debt,
            _ACCOUNTS.c.head_hash,
            _ACCOUNTS.c.seq,
            _MEMBERS.c.status,
        )
        .join(
            _MEMBERS,
            (_MEMBERS.c.tenant_id == _ACCOUNTS.c.tenant_id)
            & (_MEMBERS.c.id == _ACCOUNTS.c.member_id),
        )
        .where(_ACCOUNTS.c.tenant_id == bindparam("tenant_id"), members)
        .order_by(_ACCOUNTS.c.id)
        .with_for_update(of=_ACCOUNTS)
    )


_LOCK_WALLETS = _ByIds(_wallets_locked, _ACCOUNTS.c.member_id, "member_ids")


def lock_wallets(
    connection: Connection, tenant_id: uuid.UUID, member_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """The wallets of these members, locked in id order."""
    return _LOCK_WALLETS.rows(connection, member_ids, tenant_id=tenant_id)


def _lots_with_points(*, due: bool) -> Callable[[ColumnElement[bool]], Select[Any]]:
    def build(accounts: ColumnElement[bool]) -> Select[Any]:
        query = select(
            _LOTS.c.id,
            _LOTS.c.account_id,
            _LOTS.c.entry_id,
            _LOTS.c.amount,
            _LOTS.c.remaining,
            _LOTS.c.held,
            _LOTS.c.earned_at,
            _LOTS.c.expires_at,
        ).where(_LOTS.c.tenant_id == bindparam("tenant_id"), accounts, _LOTS.c.remaining > 0)
        if due:
            query = query.where(
                _LOTS.c.expires_at <= bindparam("due_at"), _LOTS.c.remaining > _LOTS.c.held
            )
        # Soonest-expiring first; lots that never expire last; then in the order earned.
        return query.order_by(_LOTS.c.expires_at.is_(None), _LOTS.c.expires_at, _LOTS.c.id)

    return build


_OPEN_LOTS = _ByIds(_lots_with_points(due=False), _LOTS.c.account_id, "account_ids")
_DUE_LOTS = _ByIds(_lots_with_points(due=True), _LOTS.c.account_id, "account_ids")


def open_lots(
    connection: Connection,
    tenant_id: uuid.UUID,
    account_ids: Sequence[uuid.UUID],
    *,
    due_at: datetime | None = None,
) -> list[Any]:
    """Lots with points left, in consumption order (with `due_at`: only those due then
    with points not held). Their wallets must be locked."""
    if due_at is None:
        return _OPEN_LOTS.rows(connection, account_ids, tenant_id=tenant_id)
    return _DUE_LOTS.rows(connection, account_ids, tenant_id=tenant_id, due_at=due_at)


def lots_by_id(
    connection: Connection, tenant_id: uuid.UUID, lot_ids: Sequence[uuid.UUID]
) -> list[Any]:
    query = select(_LOTS).where(_LOTS.c.tenant_id == tenant_id, _LOTS.c.id.in_(list(lot_ids)))
    return list(connection.execute(query.order_by(_LOTS.c.id)))


# --- writes ---------------------------------------------------------------------------

# The journal's writes go through the driver (`jifen.driver`): every ledger operation
# sends several, and SQLAlchemy's per-statement work would cost more than they do.
_INSERTS = {
    "entries": DriverStatement(insert(Entry.__table__)),
    "postings": DriverStatement(insert(Posting.__table__)),
    "lots": DriverStatement(insert(_LOTS)),
    "lot_consumptions": DriverStatement(insert(LotConsumption.__table__)),
    "holds": DriverStatement(insert(_HOLDS)),
    "hold_lots": DriverStatement(insert(HoldLot.__table__)),
}

_UPDATE_LOT = DriverStatement(
    update(_LOTS)
    .where(_LOTS.c.tenant_id == bindparam("t"), _LOTS.c.id == bindparam("lot_id"))
    .values(
        remaining=_LOTS.c.remaining + bindparam("d_remaining"),
        held=_LOTS.c.held + bindparam("d_held"),
    )
)

_UPDATE_WALLET = DriverStatement(
    update(_ACCOUNTS)
    .where(
        _ACCOUNTS.c.tenant_id == bindparam("t"),
        _ACCOUNTS.c.id == bindparam("account_id"),
        # The chain position read under the lock: a lost update cannot slip through.
        _ACCOUNTS.c.seq == bindparam("old_seq"),
    )
    .values(
        balance=_ACCOUNTS.c.balance + bindparam("d_balance"),
        held=_ACCOUNTS.c.held + bindparam("d_held"),
        debt=_ACCOUNTS.c.debt + bindparam("d_debt"),
        head_hash=bindparam("new_head"),
        seq=bindparam("new_seq"),
        updated_at=bindparam("now"),
    )
)

_CLOSE_HOLD = DriverStatement(
    update(_HOLDS)
    .where(
        _HOLDS.c.tenant_id == bindparam("t"),
        _HOLDS.c.id == bindparam("hold_id"),
        _HOLDS.c.status == "open",
    )
    .values(
        status=bindparam("new_status"),
        closed_at=bindparam("at"),
        entry_id=bindparam("by_entry"),
    )
)


class LostUpdate(RuntimeError):
    """A locked row changed under us: a bug, never a user error."""


def insert_rows(batch: Batch, table: str, rows: list[dict[str, Any]]) -> None:
    batch.write(_INSERTS[table], rows)


def update_lots(batch: Batch, tenant_id: uuid.UUID, changes: list[dict[str, Any]]) -> None:
    batch.write(_UPDATE_LOT, [{"t": tenant_id, **change} for change in changes])


def update_wallets(batch: Batch, tenant_id: uuid.UUID, changes: list[dict[str, Any]]) -> None:
    batch.write(
        _UPDATE_WALLET,
        [{"t": tenant_id, **c} for c in changes],
        expect_all="a wallet changed while it was locked",
    )


def close_holds(batch: Batch, tenant_id: uuid.UUID, changes: list[dict[str, Any]]) -> None:
    batch.write(
        _CLOSE_HOLD,
        [{"t": tenant_id, **c} for c in changes],
        expect_all="a hold was closed while it was locked",
    )


_HOLD_WITH_MEMBER = (
    select(_HOLDS, _ACCOUNTS.c.member_id)
    .join(
        _ACCOUNTS,
        (_ACCOUNTS.c.tenant_id == _HOLDS.c.tenant_id) & (_ACCOUNTS.c.id == _HOLDS.c.account_id),
    )
    .where(_HOLDS.c.tenant_id == bindparam("tenant_id"), _HOLDS.c.id == bindparam("hold_id"))
)


def move_open_holds(
    connection: Connection,
    tenant_id: uuid.UUID,
    from_account: uuid.UUID,
    to_account: uuid.UUID,
    lots: dict[uuid.UUID, uuid.UUID],
) -> list[uuid.UUID]:
    """Move one wallet's open holds to another, each holding the lots (new ids by old)
    its points moved to; their ids. Closed holds keep the lots they held."""
    hold_ids = list(
        connection.execute(
            select(_HOLDS.c.id).where(
                _HOLDS.c.tenant_id == tenant_id,
                _HOLDS.c.account_id == from_account,
                _HOLDS.c.status == "open",
            )
        ).scalars()
    )
    if not hold_ids:
        return []
    pieces = HoldLot.__table__
    if lots:
        connection.execute(
            update(pieces)
            .where(
                pieces.c.tenant_id == tenant_id,
                pieces.c.lot_id == bindparam("old_lot"),
                pieces.c.hold_id.in_(
                    select(_HOLDS.c.id).where(
                        _HOLDS.c.tenant_id == tenant_id,
                        _HOLDS.c.account_id == from_account,
                        _HOLDS.c.status == "open",
                    )
                ),
            )
            .values(lot_id=bindparam("new_lot")),
            [{"old_lot": old, "new_lot": new} for old, new in lots.items()],
        )
    connection.execute(
        update(_HOLDS)
        .where(_HOLDS.c.tenant_id == tenant_id, _HOLDS.c.id.in_(hold_ids))
        .values(account_id=to_account)
    )
    return hold_ids


def merged_into(
    connection: Connection, tenant_id: uuid.UUID, member_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The member each of these that was merged was merged into (a merge is final)."""
    query = select(_MEMBERS.c.id, _MEMBERS.c.merged_into).where(
        _MEMBERS.c.tenant_id == tenant_id,
        _MEMBERS.c.id.in_(list(member_ids)),
        _MEMBERS.c.merged_into.is_not(None),
    )
    return {row.id: row.merged_into for row in connection.execute(query)}


def hold_by_id(connection: Connection, tenant_id: uuid.UUID, hold_id: uuid.UUID) -> Any:
    """A hold with its wallet's member id, or None."""
    return connection.execute(
        _HOLD_WITH_MEMBER, {"tenant_id": tenant_id, "hold_id": hold_id}
    ).first()


def lots_of_hold(
    connection: Connection, tenant_id: uuid.UUID, hold_id: uuid.UUID
) -> list[tuple[uuid.UUID, int]]:
    table = HoldLot.__table__
    query = select(table.c.lot_id, table.c.amount).where(
        table.c.tenant_id == tenant_id, table.c.hold_id == hold_id
    )
    return [(row.lot_id, row.amount) for row in connection.execute(query)]


def due_holds(connection: Connection, now: datetime, limit: int) -> list[Any]:
    """Open holds past their time, across tenants (the caller opens that scope)."""
    query = (
        select(_HOLDS.c.tenant_id, _HOLDS.c.id, _HOLDS.c.kind)
        .where(_HOLDS.c.status == "open", _HOLDS.c.expires_at <= now)
        .order_by(_HOLDS.c.expires_at)
        .limit(limit)
    )
    return list(connection.execute(query))


def entry_by_id(connection: Connection, tenant_id: uuid.UUID, entry_id: uuid.UUID) -> Any:
    table = Entry.__table__
    query = select(table).where(table.c.tenant_id == tenant_id, table.c.id == entry_id)
    return connection.execute(query).first()


def wallet_postings_of(
    connection: Connection, tenant_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """(entry_id, member_id, account_id, amount, total_after) of the entries' postings
    to wallets."""
    postings = Posting.__table__
    query = (
        select(
            postings.c.entry_id,
            _ACCOUNTS.c.member_id,
            postings.c.account_id,
            postings.c.amount,
            postings.c.total_after,
        )
        .join(
            _ACCOUNTS,
            (_ACCOUNTS.c.tenant_id == postings.c.tenant_id)
            & (_ACCOUNTS.c.id == postings.c.account_id),
        )
        .where(
            postings.c.tenant_id == tenant_id,
            postings.c.entry_id.in_(list(entry_ids)),
            _ACCOUNTS.c.member_id.is_not(None),
        )
        .order_by(postings.c.seq)
    )
    return list(connection.execute(query))


def consumptions_of(
    connection: Connection, tenant_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> list[Any]:
    """(entry_id, lot_id, account_id, amount) of what the entries took from or gave to lots."""
    table = LotConsumption.__table__
    query = (
        select(table.c.entry_id, table.c.lot_id, _LOTS.c.account_id, table.c.amount)
        .join(_LOTS, (_LOTS.c.tenant_id == table.c.tenant_id) & (_LOTS.c.id == table.c.lot_id))
        .where(table.c.tenant_id == tenant_id, table.c.entry_id.in_(list(entry_ids)))
    )
    return list(connection.execute(query))


def reversals_of(connection: Connection, tenant_id: uuid.UUID, entry_id: uuid.UUID) -> list[Any]:
    table = Entry.__table__
    query = select(table.c.id, table.c.data).where(
        table.c.tenant_id == tenant_id, table.c.reverses_entry_id == entry_id
    )
    return list(connection.execute(query))


def points_moved(
    connection: Connection, tenant_id: uuid.UUID, entry_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    """What an entry did to each wallet's points (balance + held), by account id: the
    lots it credited less what it took from lots (what it gave back to them counts)."""
    consumptions = LotConsumption.__table__
    credited = select(_LOTS.c.account_id, _LOTS.c.amount).where(
        _LOTS.c.tenant_id == tenant_id, _LOTS.c.entry_id == entry_id
    )
    taken = (
        select(_LOTS.c.account_id, -consumptions.c.amount)
        .join(
            _LOTS,
            (_LOTS.c.tenant_id == consumptions.c.tenant_id) & (_LOTS.c.id == consumptions.c.lot_id),
        )
        .where(consumptions.c.tenant_id == tenant_id, consumptions.c.entry_id == entry_id)
    )
    moved: dict[uuid.UUID, int] = {}
    for account_id, amount in connection.execute(credited.union_all(taken)):
        moved[account_id] = moved.get(account_id, 0) + amount
    return moved


def lots_of_entry(connection: Connection, tenant_id: uuid.UUID, entry_id: uuid.UUID) -> list[Any]:
    """The lots an entry credited, and those merges moved their points to since."""
    query = select(_LOTS.c.id, _LOTS.c.account_id).where(
        _LOTS.c.tenant_id == tenant_id, _LOTS.c.entry_id == entry_id
    )
    found = list(connection.execute(query))
    moved = found
    while moved:  # a member merged into one merged since: a second step, rarely more
        moved = list(
            connection.execute(
                select(_LOTS.c.id, _LOTS.c.account_id).where(
                    _LOTS.c.tenant_id == tenant_id,
                    _LOTS.c.moved_from.in_([row.id for row in moved]),
                )
            )
        )
        found += moved
    return found


def members_with_due_lots(
    connection: Connection, tenant_id: uuid.UUID, now: datetime, limit: int
) -> list[uuid.UUID]:
    """Members with points past their expiry and not yet expired (nor held)."""
    due = (
        select(_LOTS.c.account_id)
        .where(
            _LOTS.c.tenant_id == tenant_id,
            _LOTS.c.expires_at <= now,
            _LOTS.c.remaining > _LOTS.c.held,
        )
        .distinct()
        .limit(limit)
        .subquery()
    )
    query = select(_ACCOUNTS.c.member_id).join(
        due, (_ACCOUNTS.c.tenant_id == tenant_id) & (_ACCOUNTS.c.id == due.c.account_id)
    )
    return [row.member_id for row in connection.execute(query)]


def expiring_points(
    connection: Connection, tenant_id: uuid.UUID, after: datetime, until: datetime
) -> list[Any]:
    """(member_id, expires_at, points) of available points expiring in (after, until]."""
    points = func.sum(_LOTS.c.remaining - _LOTS.c.held)
    query = (
        select(_ACCOUNTS.c.member_id, _LOTS.c.expires_at, points.label("points"))
        .join(
            _ACCOUNTS,
            (_ACCOUNTS.c.tenant_id == _LOTS.c.tenant_id) & (_ACCOUNTS.c.id == _LOTS.c.account_id),
        )
        .where(
            _LOTS.c.tenant_id == tenant_id,
            _LOTS.c.expires_at > after,
            _LOTS.c.expires_at <= until,
            _LOTS.c.remaining > _LOTS.c.held,
        )
        .group_by(_ACCOUNTS.c.member_id, _LOTS.c.expires_at)
        .order_by(_ACCOUNTS.c.member_id, _LOTS.c.expires_at)
    )
    return list(connection.execute(query))


def expired_from_lots(
    connection: Connection, tenant_id: uuid.UUID, lot_ids: Sequence[uuid.UUID]
) -> int:
    """How many points of these lots the expiry took."""
    consumptions, entries = LotConsumption.__table__, Entry.__table__
    query = (
        select(func.coalesce(func.sum(consumptions.c.amount), 0))
        .join(
            entries,
            (entries.c.tenant_id == consumptions.c.tenant_id)
            & (entries.c.id == consumptions.c.entry_id),
        )
        .where(
            consumptions.c.tenant_id == tenant_id,
            consumptions.c.lot_id.in_(list(lot_ids)),
            entries.c.kind == "expire",
        )
    )
    return int(connection.execute(query).scalar_one())


def sent_by_transfer(
    connection: Connection, tenant_id: uuid.UUID, account_id: uuid.UUID, since: datetime
) -> int:
    """Points a wallet has given away by transfer since an instant."""
    postings, entries = Posting.__table__, Entry.__table__
    query = (
        select(func.coalesce(func.sum(postings.c.amount), 0))
        .join(
            entries,
            (entries.c.tenant_id == postings.c.tenant_id) & (entries.c.id == postings.c.entry_id),
        )
        .where(
            postings.c.tenant_id == tenant_id,
            postings.c.account_id == account_id,
            postings.c.amount < 0,
            postings.c.created_at >= since,
            entries.c.kind == "transfer",
        )
    )
    return -int(connection.execute(query).scalar_one())


def set_lot_expiry(
    connection: Connection, tenant_id: uuid.UUID, lot_ids: Sequence[uuid.UUID], until: datetime
) -> None:
    connection.execute(
        update(_LOTS)
        .where(_LOTS.c.tenant_id == tenant_id, _LOTS.c.id.in_(list(lot_ids)))
        .values(expires_at=until)
    )


def policy_row(connection: Connection, tenant_id: uuid.UUID) -> tuple[str, Any]:
    """The tenant's time zone and its points policy row (None until it sets one)."""
    tenants, policies = Tenant.__table__, PointsPolicy.__table__
    timezone = connection.execute(
        select(tenants.c.timezone).where(tenants.c.id == tenant_id)
    ).scalar_one()
    row = (
        connection.execute(select(policies).where(policies.c.tenant_id == tenant_id))
        .mappings()
        .first()
    )
    return timezone, row


def save_policy(
    connection: Connection, tenant_id: uuid.UUID, values: dict[str, Any], *, exists: bool
) -> None:
    policies = PointsPolicy.__table__
    if exists:
        connection.execute(
            policies.update().where(policies.c.tenant_id == tenant_id).values(**values)
        )
    else:
        connection.execute(policies.insert().values(tenant_id=tenant_id, **values))


def earn_postings_by_reference(
    connection: Connection, tenant_id: uuid.UUID, reference: str
) -> list[Any]:
    """(entry_id, data, member_id, amount) of the earn entries under `reference`, each
    with its posting to a wallet."""
    entries, postings = Entry.__table__, Posting.__table__
    query = (
        select(entries.c.id, entries.c.data, _ACCOUNTS.c.member_id, postings.c.amount)
        .join(
            postings,
            (postings.c.tenant_id == entries.c.tenant_id) & (postings.c.entry_id == entries.c.id),
        )
        .join(
            _ACCOUNTS,
            (_ACCOUNTS.c.tenant_id == postings.c.tenant_id)
            & (_ACCOUNTS.c.id == postings.c.account_id),
        )
        .where(
            entries.c.tenant_id == tenant_id,
            entries.c.reference == reference,
            entries.c.kind == "earn",
            _ACCOUNTS.c.member_id.is_not(None),
        )
        .order_by(postings.c.seq)
    )
    return list(connection.execute(query))


def pending_holds_by_reference(
    connection: Connection, tenant_id: uuid.UUID, reference: str
) -> list[Any]:
    """The pending earns under `reference`, whatever their status, with their member id."""
    query = (
        select(_HOLDS, _ACCOUNTS.c.member_id)
        .join(
            _ACCOUNTS,
            (_ACCOUNTS.c.tenant_id == _HOLDS.c.tenant_id) & (_ACCOUNTS.c.id == _HOLDS.c.account_id),
        )
        .where(
            _HOLDS.c.tenant_id == tenant_id,
            _HOLDS.c.reference == reference,
            _HOLDS.c.kind == "pending",
        )
        .order_by(_HOLDS.c.created_at, _HOLDS.c.id)
    )
    return list(connection.execute(query))


def exact_sums(
    executor: Session | Connection,
    terms: Sequence[ColumnElement[int] | QueryableAttribute[int]],
    *criteria: Any,
    from_: FromClause | None = None,
) -> list[int]:
    """The sum of each of `terms` over the rows matching `criteria` (of `from_`, when the
    terms' own tables are not enough: a join), exact however large.

    Each wallet stays within 2^53 - 1, but a tenant's many wallets together can pass
    2^63 - 1, where SQLite's SUM fails ("integer overflow"). The high and low 32 bits of
    each value are summed apart, neither anywhere near overflowing, and joined here.
    """
    halves = [
        func.coalesce(func.sum(half), 0)
        # As 64-bit integers: PostgreSQL shifts a 32-bit one (a count) by 32 mod 32.
        for value in (term.cast(BigInteger) for term in terms)
        for half in (value.op(">>")(literal_column("32")), value.op("&")(_HALF - 1))
    ]
    query = select(*halves) if from_ is None else select(*halves).select_from(from_)
    row = executor.execute(query.where(*criteria)).one()
    return [int(high) * _HALF + int(low) for high, low in zip(row[::2], row[1::2], strict=True)]


def _glance() -> Select[Any]:
    """One wallet's points at a glance, in one statement: what it can spend now (its
    balance less points past their expiry that the sweep has not reached), the next
    instant some of its points expire, and how many do then."""
    wallet = _ACCOUNTS.alias("wallet")

    def lots(*where: ColumnElement[bool]) -> Select[Any]:
        return select(func.sum(_LOTS.c.remaining - _LOTS.c.held)).where(
            _LOTS.c.tenant_id == wallet.c.tenant_id,
            _LOTS.c.account_id == wallet.c.id,
            _LOTS.c.remaining > _LOTS.c.held,
            *where,
        )

    now: BindParameter[datetime] = bindparam("now")
    next_at = (
        select(func.min(_LOTS.c.expires_at))
        .where(
            _LOTS.c.tenant_id == wallet.c.tenant_id,
            _LOTS.c.account_id == wallet.c.id,
            _LOTS.c.remaining > _LOTS.c.held,
            _LOTS.c.expires_at > now,
        )
        .correlate(wallet)  # not the lots of the statement it is compared in
        .scalar_subquery()
    )
    lapsed = lots(_LOTS.c.expires_at <= now).scalar_subquery()
    return select(
        (wallet.c.balance - func.coalesce(lapsed, 0)).label("balance"),
        next_at.label("next_at"),
        lots(_LOTS.c.expires_at == next_at).scalar_subquery().label("next_points"),
    ).where(
        wallet.c.tenant_id == bindparam("tenant_id"),
        wallet.c.kind == WALLET,
        wallet.c.member_id == bindparam("member_id"),
    )


_GLANCE = _glance()


def glance(
    connection: Connection, tenant_id: uuid.UUID, member_id: uuid.UUID, now: datetime
) -> Any:
    """The member's wallet at a glance (see `_glance`): None for a member with none."""
    return connection.execute(
        _GLANCE, {"tenant_id": tenant_id, "member_id": member_id, "now": now}
    ).first()
