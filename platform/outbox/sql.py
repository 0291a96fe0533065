"""The relay's statements: the sequencer, cursors with leases, and reading a lane.

Everything here is platform-wide (the log is global); callers run in a cross-tenant
scope. Leases and retries are conditional updates, so two relay workers racing for one
subscriber's lane find out from the rows they updated.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import psycopg
from psycopg.pq import Escaping
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Row, Select, and_, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from jifen.driver import DriverStatement
from jifen.outbox.models import (
    OutboxEvent,
    RelayCursor,
    RelayDeadLetter,
    RelayLane,
    RelayParked,
    RelayReceipt,
)

EVENTS = OutboxEvent.__table__
LANE_HEADS = RelayLane.__table__
CURSORS = RelayCursor.__table__
RECEIPTS = RelayReceipt.__table__
DEAD_LETTERS = RelayDeadLetter.__table__
PARKED = RelayParked.__table__
_RETRY_STATE = (PARKED.c.attempts, PARKED.c.retry_at, PARKED.c.last_error)

# Positions for the oldest unsequenced events of a lane, in the order they were written:
# one statement however many there are (window functions and UPDATE ... FROM: PostgreSQL,
# SQLite 3.33+).
_SEQUENCE = text(
    "UPDATE outbox_events SET position = :head + batch.n"
    " FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM outbox_events"
    "       WHERE lane = :lane AND position IS NULL ORDER BY seq LIMIT :limit) AS batch"
    " WHERE outbox_events.seq = batch.seq"
)


_APPENDED = (
    "id",
    "tenant_id",
    "lane",
    "type",
    "version",
    "aggregate",
    "aggregate_id",
    "payload",
    "created_at",
)
# The log's INSERT goes through the driver (`jifen.driver`): every write transaction
# runs one, and SQLAlchemy's per-statement work costs several times the statement itself.
_APPEND = {
    "sqlite": DriverStatement(sqlite.insert(EVENTS).on_conflict_do_nothing()),
    "postgresql": DriverStatement(postgresql.insert(EVENTS).on_conflict_do_nothing()),
}
# INSERT INTO ... (the columns) VALUES, for rows as literals: our table's and columns'
# names, no client's text.
_LITERAL_INSERT = f"INSERT INTO {EVENTS.name} ({', '.join(_APPENDED)}) VALUES ".encode()  # noqa: S608


def append(connection: Connection, rows: list[dict[str, Any]]) -> int:
    """Append events (dicts of the log's columns) in this transaction, through the
    driver; how many were new (a keyed event already in the log is not)."""
    return _APPEND[connection.dialect.name].execute(connection, rows, columns=_APPENDED)


def append_and_commit(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Append events and commit the transaction, in one round trip (PostgreSQL).

    The INSERT and COMMIT travel as one simple-protocol query (`INSERT ...; COMMIT`, the
    values as literals quoted by libpq's `PQescapeLiteral`), in one round trip as
    `db.py`'s BEGIN travels with the tenant's settings: the log costs the writer no round
    trip of its own. If the
    INSERT fails, COMMIT does not run and the transaction waits for its rollback; if
    COMMIT fails (a deferred check), the transaction is over, rolled back. Either raises
    the driver's error.
    """
    raw = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    compiled = _APPEND["postgresql"].compiled(connection.dialect, _APPENDED)
    encoding = raw.info.encoding
    escape = Escaping(raw.pgconn).escape_literal
    values = b", ".join(
        b"(%b)" % b", ".join(_literal(escape, encoding, processed[key]) for key in _APPENDED)
        for processed in map(compiled.processed, rows)
    )
    # Only a keyed event can be there already; ON CONFLICT costs every other INSERT a
    # speculative insertion.
    skip = b" ON CONFLICT DO NOTHING" if any(row.get("keyed") for row in rows) else b""
    with raw.cursor() as cursor:
        cursor.execute(_LITERAL_INSERT + values + skip + b"; COMMIT")


def _literal(escape: Callable[[bytes], bytes], encoding: str, value: Any) -> bytes:
    """A value of the log's row, as its column's type hands it to psycopg, as a literal.
    Text is quoted by libpq; a NUL, which a simple query cannot carry, is refused as the
    driver refuses it in a parameter."""
    if value is None:
        return b"NULL"
    if isinstance(value, bool):
        return b"TRUE" if value else b"FALSE"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Jsonb):
        dumped = (value.dumps or json.dumps)(value.obj)
        text = dumped.decode() if isinstance(dumped, bytes) else dumped
    elif isinstance(value, datetime):  # aware, in UTC (the column's type sees to it)
        text = value.isoformat()
    elif isinstance(value, uuid.UUID | str):
        text = str(value)
    else:
        raise TypeError(f"no literal for the log's {type(value).__name__} value")
    if "\x00" in text:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return escape(text.encode(encoding))


def _dialect_insert(dialect_name: str, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table)


def _insert(connection: Connection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING."""
    return _dialect_insert(connection.dialect.name, table).on_conflict_do_nothing()


def sequence(
    connection: Connection, lane: str, limit: int, subscribers: Sequence[str], now: datetime
) -> int:
    """Give the next `limit` unsequenced events of `lane` their positions; how many.

    The lane's row is locked first, so sequencers take turns and positions only grow:
    an event committed after a batch was sequenced gets a later position, never one a
    cursor has passed. A subscriber with no cursor on the lane yet gets one at the
    lane's head, before this batch: it is delivered what was written since the last
    round before it was installed, not the whole retained log.
    """
    connection.execute(_insert(connection, LANE_HEADS), {"lane": lane, "head": 0})
    head = connection.execute(
        select(LANE_HEADS.c.head).where(LANE_HEADS.c.lane == lane).with_for_update()
    ).scalar_one()
    if subscribers:
        connection.execute(
            _insert(connection, CURSORS),
            [
                {"subscriber": name, "lane": lane, "position": head, "updated_at": now}
                for name in subscribers
            ],
        )
    given = connection.execute(_SEQUENCE, {"head": head, "lane": lane, "limit": limit}).rowcount
    if given:
        connection.execute(
            update(LANE_HEADS).where(LANE_HEADS.c.lane == lane).values(head=head + given)
        )
    return given


def lane_head(connection: Connection, lane: str) -> int:
    head = connection.execute(select(LANE_HEADS.c.head).where(LANE_HEADS.c.lane == lane)).scalar()
    return head or 0


def unsequenced(connection: Connection, lane: str) -> bool:
    found = connection.execute(
        select(EVENTS.c.seq).where(EVENTS.c.lane == lane, EVENTS.c.position.is_(None)).limit(1)
    ).first()
    return found is not None


def lease(
    connection: Connection, subscriber: str, lane: str, owner: str, now: datetime, until: datetime
) -> Row[Any] | None:
    """Take the subscriber's cursor on `lane` until `until` (the sequencer makes it):
    its row, or None while another worker holds it (or it has no cursor yet)."""
    taken = connection.execute(
        update(CURSORS)
        .where(
            CURSORS.c.subscriber == subscriber,
            CURSORS.c.lane == lane,
            or_(CURSORS.c.leased_until.is_(None), CURSORS.c.leased_until <= now),
        )
        .values(leased_by=owner, leased_until=until)
    ).rowcount
    if not taken:
        return None
    return connection.execute(
        select(CURSORS).where(CURSORS.c.subscriber == subscriber, CURSORS.c.lane == lane)
    ).one()


def release(connection: Connection, subscriber: str, lane: str, owner: str, **values: Any) -> bool:
    """Move the cursor and give the lease back; False when the lease was lost (it ran out
    and another worker took it), in which case nothing is written."""
    return bool(
        connection.execute(
            update(CURSORS)
            .where(
                CURSORS.c.subscriber == subscriber,
                CURSORS.c.lane == lane,
                CURSORS.c.leased_by == owner,
            )
            .values(leased_by=None, leased_until=None, **values)
        ).rowcount
    )


def events_after(
    connection: Connection, lane: str, position: int, head: int, types: Sequence[str], limit: int
) -> list[Row[Any]]:
    """The lane's events of `types` past `position` up to `head`, in order."""
    return list(
        connection.execute(
            select(EVENTS)
            .where(
                EVENTS.c.lane == lane,
                EVENTS.c.position > position,
                EVENTS.c.position <= head,
                EVENTS.c.type.in_(types),
            )
            .order_by(EVENTS.c.position)
            .limit(limit)
        )
    )


def waiting(connection: Connection, lane: str, position: int, types: Sequence[str] | None) -> int:
    """How many events of `types` (None: any) the lane holds past `position`, the ones
    not sequenced yet included."""
    ahead = or_(EVENTS.c.position > position, EVENTS.c.position.is_(None))
    query = select(func.count()).where(EVENTS.c.lane == lane, ahead)
    if types is not None:
        query = query.where(EVENTS.c.type.in_(types))
    return connection.execute(query.select_from(EVENTS)).scalar_one()


def _parked(subscriber: str, lane: str, *columns: Any) -> Select[Any]:
    """`columns` (of the log's rows and the parked ones) of the subscriber's parked
    events on `lane`."""
    return (
        select(*columns)
        .select_from(PARKED.join(EVENTS, EVENTS.c.id == PARKED.c.event_id))
        .where(PARKED.c.subscriber == subscriber, EVENTS.c.lane == lane)
    )


def _held(subscriber: str, lane: str, now: datetime, past: int | None = None) -> Select[Any]:
    """The aggregates whose parked events (the subscriber's, on `lane`) a round leaves
    where they are: those with one whose retry is not due (an aggregate's first parked
    event: the rest wait behind it) and, given `past`, those with one past it."""
    held = PARKED.c.retry_at > now
    if past is not None:
        held = or_(held, EVENTS.c.position > past)
    return _parked(subscriber, lane, EVENTS.c.aggregate, EVENTS.c.aggregate_id).where(held)


def retries(
    connection: Connection, subscriber: str, lane: str, now: datetime, limit: int
) -> list[Row[Any]]:
    """The subscriber's parked events on `lane` that a round attempts, in log order, at
    most `limit`, with their retry state: those due for a retry and those waiting,
    but none of an aggregate held by one whose retry is not due. (The held aggregates
    are one uncorrelated set, read once, not a subquery per parked event.)"""
    aggregate = tuple_(EVENTS.c.aggregate, EVENTS.c.aggregate_id)
    return list(
        connection.execute(
            _parked(subscriber, lane, EVENTS, *_RETRY_STATE)
            .where(
                or_(PARKED.c.retry_at.is_(None), PARKED.c.retry_at <= now),
                aggregate.not_in(_held(subscriber, lane, now).correlate(None)),
            )
            .order_by(EVENTS.c.position)
            .limit(limit)
        )
    )


def held(
    connection: Connection, subscriber: str, lane: str, now: datetime, past: int | None
) -> set[tuple[str, uuid.UUID]]:
    """The aggregates whose parked events a round leaves where they are (see `_held`;
    `past`: the position of the last retry it read when it read as many as it takes),
    so whose new events it parks behind them."""
    found = connection.execute(_held(subscriber, lane, now, past).distinct())
    return {(row.aggregate, row.aggregate_id) for row in found}


def parked_count(connection: Connection, subscriber: str, lane: str) -> int:
    """How many of the subscriber's events on `lane` are parked."""
    return int(connection.execute(_parked(subscriber, lane, func.count())).scalar_one())


def first_failed(connection: Connection, subscriber: str, lane: str) -> Row[Any] | None:
    """The subscriber's first parked event on `lane` (in log order) that failed, with its
    retry state; None if every parked one is only waiting."""
    failed = _parked(subscriber, lane, EVENTS, *_RETRY_STATE).where(PARKED.c.attempts > 0)
    return connection.execute(failed.order_by(EVENTS.c.position).limit(1)).first()


def retry_due(connection: Connection, subscriber: str, lane: str, now: datetime) -> bool:
    """Whether a parked event of the subscriber's on `lane` is due for a retry."""
    found = connection.execute(
        select(PARKED.c.event_id)
        .join(EVENTS, EVENTS.c.id == PARKED.c.event_id)
        .where(
            PARKED.c.subscriber == subscriber,
            EVENTS.c.lane == lane,
            PARKED.c.retry_at <= now,
        )
        .limit(1)
    ).first()
    return found is not None


def park(
    connection: Connection,
    subscriber: str,
    event_id: uuid.UUID,
    attempts: int,
    retry_at: datetime | None,
    error: str | None,
    now: datetime,
) -> None:
    """Park the event for the subscriber, or update its retry state if it is parked."""
    state = {"attempts": attempts, "retry_at": retry_at, "last_error": error}
    connection.execute(
        _dialect_insert(connection.dialect.name, PARKED)
        .values(subscriber=subscriber, event_id=event_id, created_at=now, **state)
        .on_conflict_do_update(index_elements=[PARKED.c.subscriber, PARKED.c.event_id], set_=state)
    )


def unpark(connection: Connection, subscriber: str, event_id: uuid.UUID) -> None:
    connection.execute(
        PARKED.delete().where(PARKED.c.subscriber == subscriber, PARKED.c.event_id == event_id)
    )


def dead_letter(
    connection: Connection,
    subscriber: str,
    event_id: uuid.UUID,
    error: str,
    attempts: int,
    now: datetime,
) -> None:
    connection.execute(
        _insert(connection, DEAD_LETTERS),
        {
            "subscriber": subscriber,
            "event_id": event_id,
            "error": error,
            "attempts": attempts,
            "created_at": now,
        },
    )


def dead_letters(
    connection: Connection, subscriber: str | None = None, *, waiting: bool = True
) -> list[Row[Any]]:
    """Dead letters (those not yet replayed, unless `waiting` is False), oldest first,
    with their events."""
    query = (
        select(DEAD_LETTERS, EVENTS.c.type, EVENTS.c.tenant_id, EVENTS.c.position, EVENTS.c.lane)
        .join(EVENTS, EVENTS.c.id == DEAD_LETTERS.c.event_id)
        .order_by(DEAD_LETTERS.c.created_at, EVENTS.c.position)
    )
    if subscriber is not None:
        query = query.where(DEAD_LETTERS.c.subscriber == subscriber)
    if waiting:
        query = query.where(DEAD_LETTERS.c.replayed_at.is_(None))
    return list(connection.execute(query))


def event_row(connection: Connection, event_id: uuid.UUID) -> Row[Any] | None:
    return connection.execute(select(EVENTS).where(EVENTS.c.id == event_id)).first()


def mark_replayed(
    connection: Connection, subscriber: str, event_id: uuid.UUID, now: datetime
) -> None:
    connection.execute(
        update(DEAD_LETTERS)
        .where(DEAD_LETTERS.c.subscriber == subscriber, DEAD_LETTERS.c.event_id == event_id)
        .values(replayed_at=now)
    )


def receipt(connection: Connection, subscriber: str, event_id: uuid.UUID) -> Row[Any] | None:
    return connection.execute(
        select(RECEIPTS).where(RECEIPTS.c.subscriber == subscriber, RECEIPTS.c.event_id == event_id)
    ).first()


def add_receipt(
    connection: Connection,
    subscriber: str,
    event_id: uuid.UUID,
    outcome: dict[str, Any],
    now: datetime,
) -> bool:
    """Record that `subscriber` handled the event; False when it had already."""
    statement = _insert(connection, RECEIPTS).returning(RECEIPTS.c.event_id)
    row = {"subscriber": subscriber, "event_id": event_id, "outcome": outcome, "created_at": now}
    return connection.execute(statement, row).first() is not None


def cursors(connection: Connection) -> list[Row[Any]]:
    return list(connection.execute(select(CURSORS).order_by(CURSORS.c.lane, CURSORS.c.subscriber)))


def purge(connection: Connection, lane: str, before: datetime, up_to: int) -> int:
    """Forget the lane's events older than `before` that every cursor has passed
    (`up_to`: the lowest cursor), keeping those a dead letter or a parked delivery
    still names."""
    return connection.execute(
        EVENTS.delete().where(
            and_(
                EVENTS.c.lane == lane,
                EVENTS.c.created_at < before,
                EVENTS.c.position <= up_to,
                EVENTS.c.id.not_in(select(DEAD_LETTERS.c.event_id)),
                EVENTS.c.id.not_in(select(PARKED.c.event_id)),
            )
        )
    ).rowcount
