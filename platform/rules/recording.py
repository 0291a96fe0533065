"""Events in, explained awards out: the earn engine's batch runner.

`record_batch` takes up to `MAX_BATCH` events of one tenant in the caller's write
transaction. Each item is checked, evaluated and posted on its own: an item that fails
reports its error and leaves nothing behind, the others go on. Items are evaluated in
order against the history so far (the batch's own earlier awards included), so caps and
limits hold within a batch as across batches. Wallets are locked up front in id order,
so concurrent events of one member queue and a cap cannot be exceeded by a race.

An event is unique by (kind, the merchant's event id). A repeat with the same content
replays the stored result; with other content it is `idempotency_mismatch`.

What each kind adds (its data, its checks, the rows it writes beside the event) is in
its module under `rules.kinds`; `batch` holds what a batch's events share.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from jifen import members
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import JifenError, ValidationFailed
from jifen.field_messages import field_messages
from jifen.keyring import Keyring
from jifen.rules import sql
from jifen.rules.batch import Batch
from jifen.rules.errors import EventIdReused, EventInFuture, UnknownEventKind, unknown_member
from jifen.rules.events import CheckedEvent, EventIn
from jifen.rules.history import period_start
from jifen.rules.kinds import catalog
from jifen.rules.program import has_rules
from jifen.rules.registry import RuleTypes

MAX_BATCH = 10_000
# Clocks differ: an event may claim to have happened this far in our future.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class Outcome:
    """One item's result: the event's stored result, or the error that refused it."""

    result: dict[str, Any] | None = None
    replayed: bool = False
    error: JifenError | None = None


def checked_item(index: int, given: EventIn, now: datetime) -> CheckedEvent:
    """The event with its data validated for its kind and its time checked."""
    try:
        data = catalog.check_data(given.kind, given.data)
    except ValidationError as error:
        raise ValidationFailed(details={"data": field_messages(error.messages)}) from None
    occurred_at = given.occurred_at or now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise EventInFuture(details={"occurred_at": occurred_at.isoformat()})
    return CheckedEvent(index, given, data, occurred_at)


def record(
    session: Session,
    event: EventIn,
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
    keyring: Keyring | None = None,
) -> Outcome:
    """Record one event; its refusal is raised."""
    (outcome,) = record_batch(
        session, [event], rule_types=rule_types, actor=actor, clock=clock, keyring=keyring
    )
    if outcome.error is not None:
        raise outcome.error
    return outcome


def emit_registered(
    session: Session,
    member_id: uuid.UUID,
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
) -> None:
    """Record a new member's `registered` event (a welcome gift's trigger), in the same
    transaction as the member. Skipped while the tenant has no active rules."""
    if not has_rules(session.connection(), tenant_of(session), rule_types):
        return
    record(
        session,
        EventIn(
            event_id=f"member:{member_id}",
            kind="registered",
            member_id=member_id,
            occurred_at=clock.now(),
        ),
        rule_types=rule_types,
        actor=actor,
        clock=clock,
    )


def record_batch(
    session: Session,
    events: Sequence[EventIn],
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
    keyring: Keyring | None = None,
    emitted: bool = False,
) -> list[Outcome]:
    """Record events in order; an outcome per event (see the module's docstring).
    `emitted` marks events the platform itself emits (birthdays)."""
    batch = Batch(session, rule_types, actor, clock, keyring)
    events = list(events)
    outcomes = [Outcome() for _ in events]
    items = _checked(batch, events, outcomes, emitted=emitted)
    _resolve_members(batch, items, outcomes)
    items = [item for item in items if outcomes[item.index].error is None]
    _preload_history(batch, items)
    stored = sql.events_by_key(
        batch.connection, batch.tenant_id, [(i.given.kind, i.given.event_id) for i in items]
    )
    seen: dict[tuple[str, str], tuple[bytes, Outcome]] = {}
    for item in items:
        outcome = outcomes[item.index]
        key = (item.given.kind, item.given.event_id)
        fingerprint = item.given.fingerprint()
        earlier = stored.get(key)
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                outcome.error = EventIdReused(details={"event_id": key[1]})
            else:
                outcome.result, outcome.replayed = earlier.result, True
            continue
        if key in seen:
            first_hash, first = seen[key]
            if first_hash != fingerprint or first.error is not None:
                outcome.error = first.error or EventIdReused(details={"event_id": key[1]})
            else:
                outcome.result, outcome.replayed = first.result, True
            continue
        seen[key] = (fingerprint, outcome)
        try:
            outcome.result = batch.process(item, fingerprint)
        except JifenError as error:
            outcome.error = error
    batch.flush()
    batch.move_promoted()
    return outcomes


def _checked(
    batch: Batch, events: list[EventIn], outcomes: list[Outcome], *, emitted: bool
) -> list[CheckedEvent]:
    """The events of a known kind (a built-in one, or one the tenant defined), with
    their data and time checked; the others' outcomes are their errors."""
    items = []
    custom = None
    for index, given in enumerate(events):
        try:
            if given.kind not in catalog.BUILT_IN or (
                given.kind in catalog.EMITTED_ONLY and not emitted
            ):
                if custom is None:
                    custom = sql.custom_kinds(batch.connection, batch.tenant_id)
                if given.kind not in custom:
                    raise UnknownEventKind(details={"kind": given.kind})
            items.append(checked_item(index, given, batch.now))
        except JifenError as error:
            outcomes[index].error = error
    return items


def _preload_history(batch: Batch, items: list[CheckedEvent]) -> None:
    """Read the history the rules will ask about in one query, when they say which
    periods they read (`history_periods`)."""
    periods = {
        period
        for rule in batch.rules
        if hasattr(rule.rule_type, "history_periods")
        for period in rule.rule_type.history_periods(rule.instance.params)
        if period is not None
    }
    if not periods or not items:
        return
    zone = batch.policy.zone
    first = min(item.occurred_at for item in items).astimezone(zone).date()
    since = min(period_start(first, period) for period in periods)
    members = {m for item in items for m in (item.member_id, item.inviter_id) if m}
    batch.history.preload(sorted(members), datetime.combine(since, time(), zone))


def _resolve_members(batch: Batch, items: list[CheckedEvent], outcomes: list[Outcome]) -> None:
    """Find (or, when the tenant allows, create) every member the items name, then
    lock their wallets in id order."""
    ids = {i.given.member_id for i in items if i.given.member_id}
    externals = {i.given.external_id for i in items if i.given.external_id}
    for item in items:
        named_ids, named_externals = catalog.kind_of(item.given.kind).members_named(item.data)
        ids.update(named_ids)
        externals.update(named_externals)
    rows = sql.members(batch.connection, batch.tenant_id, sorted(ids), sorted(externals))
    by_id = {row.id: row for row in rows}
    by_external = {row.external_id: row for row in rows}

    def find(
        member_id: uuid.UUID | None, external_id: str | None, *, create: bool = True
    ) -> uuid.UUID:
        row = by_id.get(member_id) if member_id else by_external.get(external_id or "")
        if row is None:
            keyring = batch.keyring
            if not (
                create and external_id and batch.policy.unknown_members == "create" and keyring
            ):
                raise unknown_member(
                    **({"member_id": str(member_id)} if member_id else {"external_id": external_id})
                )
            row = _created_member(batch, external_id, keyring)
            by_id[row.id] = by_external[row.external_id] = row
        found: uuid.UUID = row.id
        return found

    for item in items:
        try:
            item.member_id = find(item.given.member_id, item.given.external_id)
            batch.kind(item.given.kind).resolve(item, find)
        except JifenError as error:
            outcomes[item.index].error = error
    # Members the events may pay without naming them: read now, so that every wallet is
    # locked up front, in order.
    kinds = set(catalog.KINDS.values())
    unseen = set().union(*(kind.also_paid(batch, rows) for kind in kinds)) - by_id.keys()
    for row in sql.members(batch.connection, batch.tenant_id, sorted(unseen), []):
        by_id[row.id] = row
    batch.load_members(list(by_id.values()))
    batch.lock_wallets(sorted(by_id))


def _created_member(batch: Batch, external_id: str, keyring: Keyring) -> Any:
    """A member the tenant's policy creates on their first event, with their own
    `registered` event; their row as `sql.members` reads it."""
    view = members.create_member(
        batch.session,
        batch.tenant_id,
        {"external_id": external_id},
        actor=batch.actor,
        clock=batch.clock,
        keyring=keyring,
    )
    emit_registered(
        batch.session, view.id, rule_types=batch.rule_types, actor=batch.actor, clock=batch.clock
    )
    (row,) = sql.members(batch.connection, batch.tenant_id, [view.id], [])
    return row
