"""Events in, explained awards out: the earn engine's write path.

`record_batch` takes up to `MAX_BATCH` events of one tenant in the caller's write
transaction. Each item is checked, evaluated and posted on its own: an item that fails
reports its error and leaves nothing behind, the others go on. Items are evaluated in
order against the history so far (the batch's own earlier awards included), so caps and
limits hold within a batch as across batches. Wallets are locked up front in id order,
so concurrent events of one member queue and a cap cannot be exceeded by a race.

An event is unique by (kind, the merchant's event id). A repeat with the same content
replays the stored result; with other content it is `idempotency_mismatch`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import writing_for
from jifen.errors import JifenError, ValidationFailed
from jifen.idempotency import IdempotencyMismatch
from jifen.keyring import Keyring
from jifen.ledger import holds, reversal
from jifen.ledger.errors import MemberNotActive
from jifen.ledger.journal import Journal
from jifen.ledger.service import tenant_of
from jifen.members import service as members
from jifen.members import sql as member_sql
from jifen.members import tiers
from jifen.members.models import Checkin, Referral
from jifen.rules import engine, kinds, sql
from jifen.rules.contract import EventView, MemberProfile, attribute
from jifen.rules.errors import (
    AlreadyCheckedIn,
    AlreadyReferred,
    EventInFuture,
    ReferralNotFound,
    ReferralStageDone,
    RefundExceedsOrder,
    SelfReferral,
    UnknownEventKind,
    UnknownMember,
    UnknownOrder,
)
from jifen.rules.history import AwardRow, History, period_start
from jifen.rules.models import Event, EventAward
from jifen.rules.program import has_rules
from jifen.rules.program import load as load_program
from jifen.rules.registry import RuleTypes
from jifen.types import new_id

MAX_BATCH = 10_000
# Clocks differ: an event may claim to have happened this far in our future.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class EventIn:
    """An event as a client sent it (the API's schema has checked its shape)."""

    event_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    member_id: uuid.UUID | None = None
    external_id: str | None = None
    occurred_at: datetime | None = None

    @classmethod
    def loaded(cls, data: dict[str, Any]) -> EventIn:
        """An event as `schemas.EventIn` loaded it."""
        return cls(
            event_id=data["id"],
            kind=data["kind"],
            data=data["data"],
            member_id=data["member_id"],
            external_id=data["external_id"],
            occurred_at=data["occurred_at"],
        )

    def fingerprint(self) -> bytes:
        body = {
            "event_id": self.event_id,
            "kind": self.kind,
            "data": self.data,
            "member_id": str(self.member_id) if self.member_id else None,
            "external_id": self.external_id,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).digest()


@dataclass
class Outcome:
    """One item's result: the event's stored result, or the error that refused it."""

    result: dict[str, Any] | None = None
    replayed: bool = False
    error: JifenError | None = None


@dataclass
class CheckedEvent:
    index: int
    given: EventIn
    data: dict[str, Any]
    occurred_at: datetime
    member_id: uuid.UUID | None = None
    inviter_id: uuid.UUID | None = None


def checked_item(index: int, given: EventIn, now: datetime) -> CheckedEvent:
    """The event with its data validated for its kind and its time checked."""
    try:
        data = kinds.check_data(given.kind, given.data)
    except ValidationError as error:
        raise ValidationFailed(details={"data": error.messages}) from None
    occurred_at = given.occurred_at or now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise EventInFuture(details={"occurred_at": occurred_at.isoformat()})
    return CheckedEvent(index, given, data, occurred_at)


def profiles(
    rows: list[Any], ladder: Mapping[str, tiers.TierView]
) -> dict[uuid.UUID, MemberProfile]:
    """Members as rules see them, from rows of `sql.members`."""
    found = {}
    for row in rows:
        tier = ladder.get(row.tier) if row.tier else None
        found[row.id] = MemberProfile(
            id=row.id,
            external_id=row.external_id,
            tier=row.tier,
            tier_name=tier.name if tier else None,
            tier_multiplier=tier.earn_multiplier if tier else None,
            tags=frozenset(row.tags.split(sql.TAG_SEPARATOR) if row.tags else ()),
            birthday=row.birthday,
            created_at=row.created_at,
        )
    return found


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
    recorder = _Recorder(session, rule_types, actor, clock, keyring)
    return recorder.run(list(events), emitted=emitted)


class _Recorder:
    def __init__(
        self,
        session: Session,
        rule_types: RuleTypes,
        actor: Actor,
        clock: Clock,
        keyring: Keyring | None,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_of(session)
        self.connection = writing_for(session, self.tenant_id)
        self.actor = actor
        self.clock = clock
        self.keyring = keyring
        self.now = clock.now()
        program = load_program(self.connection, self.tenant_id, rule_types)
        self.policy = program.policy
        self.currency = program.currency
        self.rule_types = rule_types
        self.rules = program.rules
        self.tiers = program.tiers
        self.history = History(self.connection, self.tenant_id)
        self.journal = Journal(session, self.tenant_id, self.now)
        self.profiles: dict[uuid.UUID, MemberProfile] = {}
        self.statuses: dict[uuid.UUID, str] = {}
        self.seen: dict[tuple[str, str], tuple[bytes, Outcome]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {
            "events": [],
            "awards": [],
            "checkins": [],
            "referrals": [],
        }
        self.first_purchases: list[tuple[uuid.UUID, datetime]] = []
        self.referred: dict[uuid.UUID, Any] = {}
        self.referrers: dict[uuid.UUID, uuid.UUID] = {}
        # What the events add to members' local days (written at flush), members' standing
        # towards the tiers above theirs, and the tier each member promoted held before.
        self.days: dict[tuple[uuid.UUID, date], tuple[int, int]] = {}
        self.standings: tiers.Standings | None = None
        self.promoted: dict[uuid.UUID, str | None] = {}

    # --- the batch --------------------------------------------------------------------

    def run(self, events: list[EventIn], *, emitted: bool) -> list[Outcome]:
        outcomes = [Outcome() for _ in events]
        items: list[CheckedEvent] = []
        custom = None
        for index, given in enumerate(events):
            try:
                if given.kind not in kinds.BUILT_IN or (
                    given.kind in kinds.EMITTED_ONLY and not emitted
                ):
                    if custom is None:
                        custom = sql.custom_kinds(self.connection, self.tenant_id)
                    if given.kind not in custom:
                        raise UnknownEventKind(details={"kind": given.kind})
                items.append(checked_item(index, given, self.now))
            except JifenError as error:
                outcomes[index].error = error
        self._resolve_members(items, outcomes)
        items = [item for item in items if outcomes[item.index].error is None]
        self._preload_history(items)
        stored = sql.events_by_key(
            self.connection, self.tenant_id, [(i.given.kind, i.given.event_id) for i in items]
        )
        for item in items:
            outcome = outcomes[item.index]
            key = (item.given.kind, item.given.event_id)
            fingerprint = item.given.fingerprint()
            earlier = stored.get(key)
            if earlier is not None:
                if earlier.request_hash != fingerprint:
                    outcome.error = IdempotencyMismatch(details={"event_id": key[1]})
                else:
                    outcome.result, outcome.replayed = earlier.result, True
                continue
            if key in self.seen:
                first_hash, first = self.seen[key]
                if first_hash != fingerprint or first.error is not None:
                    outcome.error = first.error or IdempotencyMismatch(details={"event_id": key[1]})
                else:
                    outcome.result, outcome.replayed = first.result, True
                continue
            self.seen[key] = (fingerprint, outcome)
            try:
                outcome.result = self._process(item, fingerprint)
            except JifenError as error:
                outcome.error = error
        self._flush()
        for member_id, before in sorted(self.promoted.items()):
            after = self.tiers[self.profiles[member_id].tier or ""]
            tiers.move(
                self.connection,
                self.session,
                self.tenant_id,
                member_id,
                before,
                after,
                self.now,
                SYSTEM,
            )
        return outcomes

    def _preload_history(self, items: list[CheckedEvent]) -> None:
        """Read the history the rules will ask about in one query, when they say which
        periods they read (`history_periods`)."""
        periods = {
            period
            for rule in self.rules
            if hasattr(rule.rule_type, "history_periods")
            for period in rule.rule_type.history_periods(rule.instance.params)
            if period is not None
        }
        if not periods or not items:
            return
        zone = self.policy.zone
        first = min(item.occurred_at for item in items).astimezone(zone).date()
        since = min(period_start(first, period) for period in periods)
        members = {m for item in items for m in (item.member_id, item.inviter_id) if m}
        self.history.preload(sorted(members), datetime.combine(since, time(), zone))

    def _resolve_members(self, items: list[CheckedEvent], outcomes: list[Outcome]) -> None:
        """Find (or, when the tenant allows, create) every member the items name, then
        lock their wallets in id order."""
        ids = {i.given.member_id for i in items if i.given.member_id}
        ids |= {i.data["inviter_id"] for i in items if i.data.get("inviter_id")}
        externals = {i.given.external_id for i in items if i.given.external_id}
        externals |= {
            i.data["inviter_external_id"] for i in items if i.data.get("inviter_external_id")
        }
        rows = sql.members(self.connection, self.tenant_id, sorted(ids), sorted(externals))
        by_id = {row.id: row for row in rows}
        by_external = {row.external_id: row for row in rows}
        for item in items:
            try:
                item.member_id = self._member_of(
                    item.given.member_id, item.given.external_id, by_id, by_external
                )
                if item.given.kind == "referral":
                    item.inviter_id = self._member_of(
                        item.data["inviter_id"],
                        item.data["inviter_external_id"],
                        by_id,
                        by_external,
                        create=False,
                    )
                    # Rules, the stored event and backtests read the inviter by our id.
                    item.data = {
                        **item.data,
                        "inviter_id": item.inviter_id,
                        "inviter_external_id": None,
                    }
            except JifenError as error:
                outcomes[item.index].error = error
        if self._rule_of_type("referral"):
            # An invitee's first purchase pays their inviter too: read the inviters now,
            # so that every wallet is locked up front, in order.
            unseen = {
                row.referrer
                for row in rows
                if row.referrer is not None and row.referrer not in by_id
            }
            for row in sql.members(self.connection, self.tenant_id, sorted(unseen), []):
                by_id[row.id] = row
        self._load_profiles(list(by_id.values()))
        wanted = sorted(by_id)
        if wanted:
            self.journal.wallets_of(wanted, create=True, active=False)
        if self.tiers:
            # Members at the top tier cannot move up: their standing is not read.
            top = max(tier.rank for tier in self.tiers.values())
            climbing = [m for m in wanted if self._rank(self.profiles[m].tier) < top]
            ladder = sorted(self.tiers.values(), key=lambda tier: tier.rank)
            today = self.policy.local_day(self.now)
            self.standings = tiers.Standings(
                self.connection, self.tenant_id, climbing, ladder, today
            )

    def _member_of(
        self,
        member_id: uuid.UUID | None,
        external_id: str | None,
        by_id: dict[uuid.UUID, Any],
        by_external: dict[str, Any],
        *,
        create: bool = True,
    ) -> uuid.UUID:
        row = by_id.get(member_id) if member_id else by_external.get(external_id or "")
        if row is not None:
            return row.id
        if create and external_id and self.policy.unknown_members == "create" and self.keyring:
            view = members.create_member(
                self.session,
                self.tenant_id,
                {"external_id": external_id},
                actor=self.actor,
                clock=self.clock,
                keyring=self.keyring,
            )
            emit_registered(
                self.session,
                view.id,
                rule_types=self.rule_types,
                actor=self.actor,
                clock=self.clock,
            )
            (row,) = sql.members(self.connection, self.tenant_id, [view.id], [])
            by_id[row.id] = by_external[row.external_id] = row
            return row.id
        raise UnknownMember(
            details={"member_id": str(member_id)} if member_id else {"external_id": external_id}
        )

    def _rank(self, code: str | None) -> int:
        tier = self.tiers.get(code) if code else None
        return tier.rank if tier else -1

    def _tally(self, member_id: uuid.UUID, at: datetime, points: int, spend: int) -> None:
        """Count what an event gives a member (points) or the member spent, on the local
        day it happened: the daily totals written with the batch, and the member's
        standing towards a higher tier."""
        if not points and not spend:
            return
        day = self.policy.local_day(at)
        before = self.days.get((member_id, day), (0, 0))
        self.days[(member_id, day)] = (before[0] + points, before[1] + spend)
        if self.standings is not None:
            self.standings.add(member_id, day, points, spend)

    def _promote(self, member_ids: set[uuid.UUID]) -> None:
        """Move members who now qualify for a higher tier up at once: the batch's next
        events see the new tier (its multiplier), and the move is written at the end."""
        if self.standings is None:
            return
        for member_id in sorted(member_ids):
            best = self.standings.best(member_id)
            profile = self.profiles[member_id]
            if best is not None and best.rank > self._rank(profile.tier):
                self.promoted.setdefault(member_id, profile.tier)
                self.profiles[member_id] = replace(
                    profile,
                    tier=best.code,
                    tier_name=best.name,
                    tier_multiplier=best.earn_multiplier,
                )

    def _rule_of_type(self, name: str) -> bool:
        return any(rule.rule_type.name == name for rule in self.rules)

    def _load_profiles(self, rows: list[Any]) -> None:
        for row in rows:
            self.statuses[row.id] = row.status
            if row.referrer is not None:
                self.referrers[row.id] = row.referrer
        self.profiles.update(profiles(rows, self.tiers))

    # --- one event --------------------------------------------------------------------

    def _process(self, item: CheckedEvent, fingerprint: bytes) -> dict[str, Any]:
        assert item.member_id is not None
        kind = item.given.kind
        for member_id in (item.member_id, item.inviter_id):
            if member_id is not None and self.statuses.get(member_id) != "active":
                raise MemberNotActive(details={"member_id": str(member_id)})
        if kind == "refund":
            return self._refund(item, fingerprint)
        local_day = item.occurred_at.astimezone(self.policy.zone).date()
        if kind == "checkin" and self.history.checked_in(item.member_id, local_day):
            raise AlreadyCheckedIn(details={"day": local_day.isoformat()})
        if kind == "referral":
            self._check_referral(item)
        event = EventView(
            id=new_id(),
            event_id=item.given.event_id,
            kind=kind,
            member_id=item.member_id,
            occurred_at=item.occurred_at,
            data=item.data,
        )
        beneficiaries = frozenset(m for m in (item.member_id, item.inviter_id) if m)
        evaluation = engine.evaluate(
            self.rules,
            event,
            self.profiles[item.member_id],
            self.history,
            zone=self.policy.zone,
            currency=self.currency,
            now=self.now,
            beneficiaries=beneficiaries,
        )
        postings = self._post(event, evaluation)
        result = self._result(event, evaluation, postings)
        self._keep(item, event, evaluation, fingerprint, result)
        if kind == "checkin":
            streaks = [a.data["streak"] for a in evaluation.awards if "streak" in a.data]
            previous = self.history.last_checkin(item.member_id, local_day)
            default = (
                previous.streak + 1 if previous and (local_day - previous.day).days == 1 else 1
            )
            streak = max(streaks, default=default)
            self.history.add_checkin(item.member_id, local_day, streak)
            self.rows["checkins"].append(
                {
                    "tenant_id": self.tenant_id,
                    "member_id": item.member_id,
                    "day": local_day,
                    "streak": streak,
                    "created_at": self.now,
                }
            )
        if kind == "purchase" and item.member_id in self.referrers:
            self._first_purchase(item, result)
        return result

    def _first_purchase(self, item: CheckedEvent, result: dict[str, Any]) -> None:
        """A referred member's first purchase is a referral event of its own, recorded
        with it, so the referral rule pays the inviter. Refused, it leaves a note."""
        assert item.member_id is not None
        inviter = self.referrers.pop(item.member_id)
        data = {"inviter_id": str(inviter), "stage": "first_purchase"}
        given = EventIn(
            event_id=f"first_purchase:{item.member_id}",
            kind="referral",
            member_id=item.member_id,
            occurred_at=item.occurred_at,
            data=data,
        )
        derived = CheckedEvent(
            item.index,
            given,
            {**data, "inviter_id": inviter, "inviter_external_id": None},
            item.occurred_at,
            item.member_id,
            inviter,
        )
        try:
            referral = self._process(derived, given.fingerprint())
        except JifenError as error:
            result["notes"].append(f"referral not paid: {error.message}")
        else:
            result["notes"].append(f"first purchase of a referred member: event {referral['id']}")

    def _check_referral(self, item: CheckedEvent) -> None:
        assert item.member_id is not None and item.inviter_id is not None
        if item.inviter_id == item.member_id:
            raise SelfReferral()
        known = self.referred.get(item.member_id)
        if known is None:
            row = sql.referral_of(self.connection, self.tenant_id, item.member_id)
            if row is not None:
                known = {"inviter_id": row.inviter_id, "first_purchase_at": row.first_purchase_at}
        if item.data["stage"] == "registered":
            if known is not None:
                raise AlreadyReferred(details={"invitee_id": str(item.member_id)})
            self.referred[item.member_id] = {
                "inviter_id": item.inviter_id,
                "first_purchase_at": None,
            }
            self.rows["referrals"].append(
                {
                    "tenant_id": self.tenant_id,
                    "invitee_id": item.member_id,
                    "inviter_id": item.inviter_id,
                    "registered_at": item.occurred_at,
                    "first_purchase_at": None,
                }
            )
            return
        if known is None or known["inviter_id"] != item.inviter_id:
            raise ReferralNotFound(details={"invitee_id": str(item.member_id)})
        if known["first_purchase_at"] is not None:
            raise ReferralStageDone(details={"stage": "first_purchase"})
        known["first_purchase_at"] = item.occurred_at
        self.referred[item.member_id] = known
        self.first_purchases.append((item.member_id, item.occurred_at))

    def _post(self, event: EventView, evaluation: engine.Evaluation) -> list[dict[str, Any]]:
        """Post each member's points: one earn entry, or a pending hold when a rule
        asked for a return window."""
        postings = []
        reference = f"{event.kind}:{event.event_id}"[:128]
        for member_id, total in evaluation.totals(event.member_id).items():
            if total <= 0:
                continue
            given = [
                a
                for a in evaluation.awards
                if (a.member_id or event.member_id) == member_id and a.points > 0
            ]
            pending = [a.pending_until for a in given if a.pending_until]
            chosen = [a.expires_at for a in given if a.expires_at]
            expires_at = min(chosen) if chosen else None
            (wallet,) = self.journal.wallets_of([member_id], create=True, active=False)
            posting: dict[str, Any] = {
                "member_id": str(member_id),
                "points": total,
                "entry_id": None,
                "hold_id": None,
                "pending_until": None,
            }
            if pending and max(pending) > self.now:
                hold = holds.open_pending(
                    self.journal,
                    wallet,
                    total,
                    reference=reference,
                    memo=None,
                    available_at=max(pending),
                    lot_expires_at=expires_at,
                )
                posting["hold_id"] = str(hold["id"])
                posting["pending_until"] = max(pending).isoformat()
            else:
                entry = self.journal.entry(
                    "earn", self.actor, reference=reference, data={"event": str(event.id)}
                )
                self.journal.credit(
                    entry,
                    wallet,
                    total,
                    source="issued",
                    earned_at=self.now,
                    expires_at=expires_at or self.policy.expiry_for(self.now),
                )
                posting["entry_id"] = str(entry.id)
            postings.append(posting)
        return postings

    def _result(
        self,
        event: EventView,
        evaluation: engine.Evaluation,
        postings: list[dict[str, Any]],
    ) -> dict[str, Any]:
        total = sum(a.points for a in evaluation.awards)
        status = "none"
        if postings:
            status = "pending" if all(p["hold_id"] for p in postings) else "posted"
        result: dict[str, Any] = {
            "id": str(event.id),
            "event_id": event.event_id,
            "kind": event.kind,
            "member_id": str(event.member_id),
            "occurred_at": event.occurred_at.isoformat(),
            "points": total,
            "status": status,
            "postings": postings,
            "awards": [step.shown(event.member_id) for step in evaluation.steps],
            "notes": evaluation.notes,
        }
        lines = _line_points(evaluation, event.member_id)
        if lines:
            result["line_points"] = lines
        return result

    def _keep(
        self,
        item: CheckedEvent,
        event: EventView,
        evaluation: engine.Evaluation,
        fingerprint: bytes,
        result: dict[str, Any],
    ) -> None:
        """Queue the event's rows, add its awards to the batch's history and count them
        (with a purchase's spend) towards the members' tiers."""
        assert item.member_id is not None
        amount = item.data["amount"] if event.kind == "purchase" else None
        self.rows["events"].append(
            {
                "tenant_id": self.tenant_id,
                "id": event.id,
                "kind": event.kind,
                "event_id": event.event_id,
                "member_id": item.member_id,
                "order_id": event.event_id if event.kind == "purchase" else None,
                "occurred_at": event.occurred_at,
                "received_at": self.now,
                "data": _stored_data(item),
                "request_hash": fingerprint,
                "amount": amount,
                "points": result["points"],
                "result": result,
            }
        )
        self._tally(item.member_id, event.occurred_at, 0, amount or 0)
        rows = []
        for seq, step in enumerate(evaluation.steps):
            award = step.award
            scope = step.cap_scope
            rows.append(AwardRow.of(step, event.id, event.member_id, event.occurred_at))
            self.rows["awards"].append(
                {
                    "tenant_id": self.tenant_id,
                    "event_id": event.id,
                    "seq": seq,
                    "member_id": award.member_id or event.member_id,
                    "rule_id": award.rule.id if award.rule else None,
                    "rule_type": award.rule.type if award.rule else "",
                    "points": award.points,
                    "reason": award.reason[:200],
                    "arm": step.arm,
                    "cap_scope": scope,
                    "occurred_at": event.occurred_at,
                }
            )
            self._tally(award.member_id or event.member_id, event.occurred_at, award.points, 0)
        self.history.add(rows)
        self._promote({row.member_id for row in rows} | {item.member_id})

    # --- refunds ----------------------------------------------------------------------

    def _refund(self, item: CheckedEvent, fingerprint: bytes) -> dict[str, Any]:
        """Take back what the refunded part of a purchase earned: in proportion to the
        amount, or by what the refunded lines earned; the last refund takes the rest."""
        assert item.member_id is not None
        order_id = item.data["order_id"]
        self._flush()  # the purchase may be earlier in this batch
        purchase = sql.purchase(self.connection, self.tenant_id, order_id)
        if purchase is None or purchase.member_id != item.member_id:
            raise UnknownOrder(details={"order_id": order_id})
        money_back, points_back = sql.refunded(self.connection, self.tenant_id, order_id)
        lines = purchase.data.get("lines") or []
        asked: dict[int, int] = {}  # money back per line index
        lines_back: dict[int, int] = {}  # what earlier refunds returned of those lines
        if item.data["lines"] is not None:
            for line in item.data["lines"]:
                asked[line["index"]] = asked.get(line["index"], 0) + line["amount"]
            lines_back = sql.refunded_lines(self.connection, self.tenant_id, order_id)
            for index, back in asked.items():
                if index >= len(lines) or lines_back.get(index, 0) + back > lines[index]["amount"]:
                    raise RefundExceedsOrder(details={"line": index})
            amount = sum(asked.values())
        else:
            amount = item.data["amount"]
        left = purchase.amount - money_back
        if amount > left:
            raise RefundExceedsOrder(details={"left": left, "requested": amount})
        earned = sum(
            p["points"]
            for p in purchase.result["postings"]
            if p["member_id"] == str(item.member_id)
        )
        still = earned - points_back
        if amount == left:
            take = still
        elif item.data["lines"] is not None and purchase.result.get("line_points"):
            # Counted on what each line has returned so far, so that refunding a line in
            # parts takes back exactly what it earned.
            line_points = purchase.result["line_points"]
            take = 0
            for index, back in asked.items():
                earned_by_line = int(line_points.get(str(index), 0))
                before, cost = lines_back.get(index, 0), lines[index]["amount"]
                take += earned_by_line * (before + back) // cost - earned_by_line * before // cost
        else:
            take = earned * amount // purchase.amount if purchase.amount else 0
        take = max(0, min(take, still))
        event_id = new_id()
        postings = []
        if take:
            postings.append(self._take_back(item, purchase, take))
        result = {
            "id": str(event_id),
            "event_id": item.given.event_id,
            "kind": "refund",
            "member_id": str(item.member_id),
            "occurred_at": item.occurred_at.isoformat(),
            "points": -take,
            "status": "posted" if take else "none",
            "postings": postings,
            "awards": [],
            "notes": [f"refund of {amount} on order {order_id}: {take} of {earned} points back"],
        }
        awards = sql.awards_of(self.connection, self.tenant_id, purchase.id)
        shares = _shares(
            [(a.seq, a.points) for a in awards if a.member_id == item.member_id and a.points > 0],
            take,
        )
        # The purchase's answer lists its awards in their order: it names their rules as
        # they were called then.
        shown = purchase.result["awards"]
        award_rows = []
        for seq, (source_seq, points) in enumerate(shares):
            source = next(a for a in awards if a.seq == source_seq)
            reason = f"refund on order {order_id}"
            result["awards"].append(
                {
                    "rule_id": str(source.rule_id) if source.rule_id else None,
                    "rule_name": shown[source_seq]["rule_name"],
                    "rule_type": source.rule_type,
                    "phase": "refund",
                    "member_id": str(item.member_id),
                    "points": -points,
                    "reason": reason,
                    "arm": source.arm,
                }
            )
            award_rows.append(
                {
                    "tenant_id": self.tenant_id,
                    "event_id": event_id,
                    "seq": seq,
                    "member_id": item.member_id,
                    "rule_id": source.rule_id,
                    "rule_type": source.rule_type,
                    "points": -points,
                    "reason": reason,
                    "arm": source.arm,
                    "cap_scope": source.cap_scope,
                    # Counted in the purchase's period, so caps there free up again.
                    "occurred_at": purchase.occurred_at,
                }
            )
        self.rows["events"].append(
            {
                "tenant_id": self.tenant_id,
                "id": event_id,
                "kind": "refund",
                "event_id": item.given.event_id,
                "member_id": item.member_id,
                "order_id": order_id,
                "occurred_at": item.occurred_at,
                "received_at": self.now,
                "data": item.given.data,
                "request_hash": fingerprint,
                "amount": -amount,
                "points": -take,
                "result": result,
            }
        )
        self.rows["awards"].extend(award_rows)
        self._tally(item.member_id, item.occurred_at, 0, -amount)
        for row in award_rows:
            self._tally(row["member_id"], row["occurred_at"], row["points"], 0)
        self.history.add(
            [
                AwardRow(
                    event_id,
                    row["member_id"],
                    row["rule_id"],
                    row["points"],
                    row["cap_scope"],
                    row["occurred_at"],
                )
                for row in award_rows
            ]
        )
        self._flush()
        return result

    def _take_back(self, item: CheckedEvent, purchase: Any, take: int) -> dict[str, Any]:
        """Claw `take` points back from the purchase's entry, or shrink its pending hold."""
        posting = next(
            p for p in purchase.result["postings"] if p["member_id"] == str(item.member_id)
        )
        reference = f"refund:{item.given.event_id}"[:128]
        out: dict[str, Any] = {
            "member_id": str(item.member_id),
            "points": -take,
            "entry_id": None,
            "hold_id": None,
            "pending_until": None,
        }
        entry_id = posting["entry_id"]
        if posting["hold_id"]:
            first = holds.get_hold(self.session, uuid.UUID(posting["hold_id"]))
            # An earlier refund in the window may have replaced the purchase's hold.
            assert item.member_id is not None and first.reference is not None
            hold = sql.purchase_hold(
                self.connection, self.tenant_id, item.member_id, first.reference
            )
            if hold.status == "open":
                holds.void_pending(self.session, hold.id, actor=self.actor, clock=self.clock)
                self._renew_journal()
                rest = hold.amount - take
                if rest > 0:
                    # The rest stays pending until the same instant (even one already past
                    # that the job has not settled yet), and keeps the expiry counted
                    # from the day it was earned.
                    (wallet,) = self.journal.wallets_of([item.member_id], active=False)
                    renewed = holds.open_pending(
                        self.journal,
                        wallet,
                        rest,
                        reference=hold.reference,
                        memo=hold.memo,
                        available_at=hold.expires_at,
                        lot_expires_at=hold.lot_expires_at
                        or self.policy.expiry_for(hold.earned_at),
                    )
                    self.journal.flush()
                    out["hold_id"] = str(renewed["id"])
                    out["pending_until"] = hold.expires_at.isoformat() if hold.expires_at else None
                return out
            entry_id = str(hold.entry_id)
        entry = reversal.reverse(
            self.session,
            uuid.UUID(entry_id),
            actor=self.actor,
            clock=self.clock,
            amount=take,
            reference=reference,
            memo=f"refund on order {purchase.event_id}",
        )
        out["entry_id"] = str(entry.id)
        self._renew_journal()
        return out

    # --- writing ----------------------------------------------------------------------

    def _renew_journal(self) -> None:
        """Another journal moved points: forget the wallets this one had read."""
        self.journal = Journal(self.session, self.tenant_id, self.now)

    def _flush(self) -> None:
        self.journal.flush()
        c = self.connection
        sql.insert_rows(c, Event.__table__, self.rows["events"])
        sql.insert_rows(c, EventAward.__table__, self.rows["awards"])
        sql.insert_rows(c, Checkin.__table__, self.rows["checkins"])
        sql.insert_rows(c, Referral.__table__, self.rows["referrals"])
        member_sql.add_to_days(c, self.tenant_id, self.days)
        for invitee_id, at in self.first_purchases:
            sql.reach_first_purchase(c, self.tenant_id, invitee_id, at)
        for rows in self.rows.values():
            rows.clear()
        self.first_purchases.clear()
        self.days = {}
        self.history.written()


def _stored_data(item: CheckedEvent) -> dict[str, Any]:
    """The event's data as sent (validated, and JSON already), with a referral's inviter
    by our id however it was named."""
    if item.inviter_id is not None:
        # Only one of the two may be given when the stored event is read back.
        named = {"inviter_id": str(item.inviter_id), "inviter_external_id": None}
        return item.given.data | named
    return item.given.data


def _shares(weights: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """`total` split over (key, weight) pairs in proportion (see `attribute`); zero
    parts, and everything when no weight is positive, are left out."""
    if total <= 0 or sum(w for _, w in weights) <= 0:
        return []
    parts = attribute(total, [Decimal(w) for _, w in weights])
    return [(key, parts[i]) for i, (key, _) in enumerate(weights) if parts[i]]


def _line_points(evaluation: engine.Evaluation, member_id: uuid.UUID) -> dict[str, int]:
    """The event member's points attributed to purchase lines, in proportion to what
    each line earned before multipliers, bonuses and caps."""
    base: dict[int, int] = {}
    for award in evaluation.awards:
        if award.lines and (award.member_id or member_id) == member_id:
            for index, points in award.lines.items():
                base[index] = base.get(index, 0) + points
    total = evaluation.totals(member_id).get(member_id, 0)
    return {str(index): points for index, points in _shares(sorted(base.items()), total)}
