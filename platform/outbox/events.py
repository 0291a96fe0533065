"""Domain events: typed, versioned facts appended to the log by the transaction that
caused them.

A domain event is a frozen dataclass deriving from `DomainEvent`; its fields are its
payload (ids, instants, dates, integers, strings, booleans and JSON-like values), and
its class says its `type`, `version`, the `aggregate` it belongs to (the field naming
that aggregate's id is `aggregate_field`) and its default `lane`. A change of a type's
fields is a new `version`; subscribers read the versions they know.

`emit(session, event, now=...)` keeps the event with the session; the rows are written
in one statement as the session's connection commits, the transaction's last statement
(after every before_commit listener and the session's last flush; on PostgreSQL sent
together with the COMMIT: `sql.append_and_commit`), and
the relay is woken after the commit for the lanes whose events a subscriber wants. A
rolled-back transaction leaves no event. An event emitted with a `key` is written once
per (tenant, key): a repeated job (a second reminder round) adds nothing.

What must commit or roll back with the change reacts **in the transaction**: `emit`
calls the in-transaction subscribers of the event's class at once, in the emitting
session (`InTransaction`, listed in `jifen.subscriptions`). They are plain functions
that write through the session and talk to nothing else; one that raises fails the
transaction that emitted, as the emitter's own code would (they are not isolated,
retried or dead-lettered like the relay's after-commit subscribers). Emitting a type
no one reacts to costs a dictionary lookup.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar, Self

from sqlalchemy import Connection, Engine
from sqlalchemy import event as sa_event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.outbox import sql
from jifen.types import new_id

INTERACTIVE = "interactive"  # a person waits: sign-in codes, payment calls, webhooks
BULK = "bulk"  # runs of many: reminders, roll-ups; never ahead of the interactive lane
LANES = (INTERACTIVE, BULK)

# The session's info whose events its connection writes as it commits.
_COMMITTING = "jifen.outbox.committing"

# Keyed events' ids are derived from their key, so a repeat is the same row.
_KEYED = uuid.UUID("0b7a3c52-6f0e-4c61-9d39-8f1b8d2c7e10")


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """The base of every domain event (see the module's docstring)."""

    type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate: ClassVar[str]
    aggregate_field: ClassVar[str]
    lane: ClassVar[str] = INTERACTIVE

    @property
    def aggregate_id(self) -> uuid.UUID:
        value = getattr(self, self.aggregate_field)
        assert isinstance(value, uuid.UUID)
        return value

    def to_payload(self) -> dict[str, Any]:
        """The event's fields as JSON values."""
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event back from its payload (the inverse of `to_payload`)."""
        hints = typing.get_type_hints(cls)
        return cls(
            **{f.name: _load(hints[f.name], payload[f.name]) for f in dataclasses.fields(cls)}
        )


def _dump(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _load(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = (
        typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, types.UnionType)
        else (hint,)
    )
    for kind in kinds:
        if kind is uuid.UUID:
            return uuid.UUID(value)
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
    return value


@dataclasses.dataclass(frozen=True)
class InTransaction:
    """An in-transaction subscriber: `react(collaborators, session, event, now=, actor=)`
    runs inside the transaction that emits an event of class `event`."""

    event: type[DomainEvent]
    react: Callable[..., None]


Reactions = Mapping[type[DomainEvent], tuple[Callable[..., None], ...]]


def reactions(subscribers: Iterable[InTransaction], collaborators: Any) -> Reactions:
    """The subscribers by event class, bound to the app's collaborators (what
    `Database.reactions` holds for its sessions)."""
    found: dict[type[DomainEvent], tuple[Callable[..., None], ...]] = {}
    for subscriber in subscribers:
        bound = partial(subscriber.react, collaborators)
        found[subscriber.event] = (*found.get(subscriber.event, ()), bound)
    return found


def emit(
    session: Session,
    event: DomainEvent,
    *,
    now: datetime,
    tenant_id: uuid.UUID | None = None,
    platform: bool = False,
    lane: str | None = None,
    key: str | None = None,
    actor: Actor | None = None,
) -> uuid.UUID:
    """Append `event` to the log with this transaction, then run its in-transaction
    subscribers; its id.

    It belongs to the session's tenant unless `tenant_id` names one, or to no tenant
    with `platform=True` (a merchant's sign-up, before any tenant exists). `lane`
    overrides the type's lane (a bulk run of an otherwise interactive type); `key` makes
    it a keyed event, written once per tenant and key. `actor` (who caused it) is for
    the in-transaction subscribers, which act on the emitter's behalf.
    """
    subscribed = session.info.get("reactions")
    if subscribed is None:
        # Emitting without them would silently lose what must commit with the change.
        raise RuntimeError(
            "this session has no in-transaction subscribers: open it through Database"
        )
    if platform:
        owner = None
    else:
        owner = tenant_id or session.info.get("tenant_id")
        if owner is None:
            raise ValueError("an event needs a tenant (or platform=True)")
    lane = lane or event.lane
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    event_id = new_id() if key is None else uuid.uuid5(_KEYED, f"{owner}:{key}")
    session.info.setdefault("outbox", []).append(
        {
            "id": event_id,
            "tenant_id": owner,
            "lane": lane,
            "type": event.type,
            "version": event.version,
            "aggregate": event.aggregate,
            "aggregate_id": event.aggregate_id,
            "payload": event.to_payload(),
            "created_at": now,
            "keyed": key is not None,  # may already be in the log (not a column)
        }
    )
    for react in subscribed.get(type(event), ()):
        react(session, event, now=now, actor=actor)
    return event_id


def write_now(session: Session) -> int:
    """Write the events emitted so far (before a statement that must see them); returns
    how many were new (keyed events already in the log are not)."""
    rows = _take(session.info)
    return sql.append(session.connection(), rows) if rows else 0


def _take(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The session's events not written yet, noted as written (for the wake-up after
    the commit)."""
    rows: list[dict[str, Any]] = info.pop("outbox", None) or []
    info.setdefault("outbox_written", []).extend(rows)
    return rows


@sa_event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    if not session.info.get("outbox"):
        return
    if session.in_nested_transaction():
        write_now(session)  # into the savepoint: it commits or rolls back with it
        return
    # The rows are written as the connection commits (`_append_at_commit`): after every
    # other before_commit listener and the session's last flush, in the transaction.
    # (`write_at_commit` installs that listener on the sessions' engines.)
    session.connection().info[_COMMITTING] = session.info


def write_at_commit(engine: Engine) -> None:
    """Have an engine whose sessions emit events (the app's, the operator's) write them as
    its connections commit. Those engines only: a listener on every Engine would make each
    statement of the others (the API key lookup's) pay for SQLAlchemy's event dispatch."""
    sa_event.listen(engine, "commit", _append_at_commit)
    sa_event.listen(engine, "rollback", _forget)


def _append_at_commit(connection: Connection) -> None:
    """Write the committing session's events, the transaction's last statement; on
    PostgreSQL they travel with COMMIT itself (`sql.append_and_commit`), and the driver's
    commit that follows finds the transaction over. If the database refuses them (or
    the COMMIT), the error is raised here as SQLAlchemy's error of its kind, and the
    session stays refused until it rolls back, as after any failed commit."""
    info = connection.info.pop(_COMMITTING, None)
    rows = _take(info) if info is not None else None
    if not rows:
        return
    error = connection.dialect.loaded_dbapi.Error
    try:
        if connection.dialect.name == "postgresql":
            sql.append_and_commit(connection, rows)
        else:
            sql.append(connection, rows)
    except error as exc:
        raise DBAPIError.instance("(the events' INSERT, at COMMIT)", None, exc, error) from exc


def _forget(connection: Connection) -> None:
    connection.info.pop(_COMMITTING, None)


@sa_event.listens_for(Session, "after_commit")
def _wake(session: Session) -> None:
    rows = session.info.pop("outbox_written", None)
    runner = session.info.get("jobs")
    if rows and runner is not None:
        runner.wake({(row["lane"], row["type"]) for row in rows})


@sa_event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop("outbox", None)
    session.info.pop("outbox_written", None)
