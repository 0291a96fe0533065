"""One batch of events being recorded: what its events share and the writing common to
every kind.

The batch holds the tenant's program, the members' profiles and wallets (locked by the
runner, see `recording`), the history so far (its own earlier awards included), and the
rows its events write, flushed together. `earn` evaluates an event and posts what it
earns; the kinds (`rules.kinds`) add what is specific to them around it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from jifen import ledger, members
from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import tenant_of, writing_for
from jifen.keyring import Keyring
from jifen.ledger import Journal, MemberNotActive
from jifen.outbox.events import emit
from jifen.rules import engine, sql
from jifen.rules.breakdown import Breakdown
from jifen.rules.contract import EventView, MemberProfile
from jifen.rules.domain_events import EarnEventsRecorded
from jifen.rules.events import CheckedEvent, ledger_reference
from jifen.rules.history import AwardRow, History
from jifen.rules.kinds import catalog
from jifen.rules.kinds.base import Kind
from jifen.rules.models import Event, EventAward
from jifen.rules.profiles import profiles
from jifen.rules.program import load as load_program
from jifen.rules.registry import RuleTypes
from jifen.types import new_id


class Batch:
    """The state of one batch of a tenant's events, in the caller's write transaction."""

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
        self.referrers: dict[uuid.UUID, uuid.UUID] = {}  # a referred member's inviter
        self.event_rows: list[dict[str, Any]] = []
        self.award_rows: list[dict[str, Any]] = []
        self.kinds: dict[str, Kind] = {}
        # What the events add to members' local days (written at flush), members' standing
        # towards the tiers above theirs, and the tier each member promoted held before.
        self.days: dict[tuple[uuid.UUID, date], tuple[int, int]] = {}
        self.standings: members.Standings | None = None
        self.promoted: dict[uuid.UUID, str | None] = {}

    # --- members ----------------------------------------------------------------------

    def load_members(self, rows: list[Any]) -> None:
        """Know these members (rows of `sql.members`): status, inviter and profile."""
        for row in rows:
            self.statuses[row.id] = row.status
            if row.referrer is not None:
                self.referrers[row.id] = row.referrer
        self.profiles.update(profiles(rows, self.tiers))

    def lock_wallets(self, member_ids: list[uuid.UUID]) -> None:
        """Lock (creating any missing) the members' wallets, in id order, and read the
        standing towards a higher tier of those who can still move up."""
        if member_ids:
            self.journal.wallets_of(member_ids, create=True, active=False)
        if self.tiers:
            # Members at the top tier cannot move up: their standing is not read.
            top = max(tier.rank for tier in self.tiers.values())
            climbing = [m for m in member_ids if self._rank(self.profiles[m].tier) < top]
            ladder = sorted(self.tiers.values(), key=lambda tier: tier.rank)
            today = self.policy.local_day(self.now)
            self.standings = members.Standings(
                self.connection, self.tenant_id, climbing, ladder, today
            )

    def has_rule_type(self, name: str) -> bool:
        """Whether an active rule of the tenant is of this type."""
        return any(rule.rule_type.name == name for rule in self.rules)

    def _rank(self, code: str | None) -> int:
        tier = self.tiers.get(code) if code else None
        return tier.rank if tier else -1

    def count(self, member_id: uuid.UUID, at: datetime, points: int, spend: int) -> None:
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

    def move_promoted(self) -> None:
        """Write the tier moves of the members the batch promoted."""
        for member_id, before in sorted(self.promoted.items()):
            after = self.tiers[self.profiles[member_id].tier or ""]
            members.move_tier(
                self.connection,
                self.session,
                self.tenant_id,
                member_id,
                before,
                after,
                self.now,
                SYSTEM,
            )

    # --- one event --------------------------------------------------------------------

    def kind(self, name: str) -> Kind:
        """The batch's instance of the kind recording events named `name`."""
        found = self.kinds.get(name)
        if found is None:
            found = self.kinds[name] = catalog.kind_of(name)(self)
        return found

    def process(self, item: CheckedEvent, fingerprint: bytes) -> dict[str, Any]:
        """Record an event whose members are known; its stored result."""
        for member_id in (item.member_id, item.inviter_id):
            if member_id is not None and self.statuses.get(member_id) != "active":
                raise MemberNotActive(details={"member_id": str(member_id)})
        return self.kind(item.given.kind).record(item, fingerprint)

    def earn(
        self, item: CheckedEvent, fingerprint: bytes, kind: Kind
    ) -> tuple[engine.Evaluation, dict[str, Any]]:
        """Evaluate the event under the tenant's rules, post what it earns and keep its
        rows; the evaluation and the stored result."""
        assert item.member_id is not None
        event = EventView(
            id=new_id(),
            event_id=item.given.event_id,
            kind=item.given.kind,
            member_id=item.member_id,
            occurred_at=item.occurred_at,
            data=item.data,
        )
        evaluation = engine.evaluate(
            self.rules,
            event,
            self.profiles[item.member_id],
            self.history,
            zone=self.policy.zone,
            currency=self.currency,
            now=self.now,
            beneficiaries=frozenset(m for m in (item.member_id, item.inviter_id) if m),
        )
        postings = self._post(event, evaluation)
        result = _result(event, evaluation, postings)
        order_id, amount = kind.order(item)
        self.keep_event(
            item,
            event.id,
            fingerprint,
            result,
            order_id=order_id,
            amount=amount,
            data=kind.stored_data(item),
        )
        self.count(item.member_id, event.occurred_at, 0, amount or 0)
        rows = []
        for seq, step in enumerate(evaluation.steps):
            award = step.award
            rows.append(AwardRow.of(step, event.id, event.member_id, event.occurred_at))
            self.award_rows.append(
                {
                    "tenant_id": self.tenant_id,
                    "event_id": event.id,
                    "seq": seq,
                    "member_id": award.member_id or event.member_id,
                    "rule_id": award.rule.id if award.rule else None,
                    "rule_type": award.rule.type if award.rule else "",
                    "points": award.points,
                    "reason": str(award.reason)[:200],
                    "arm": step.arm,
                    "cap_scope": step.cap_scope,
                    "occurred_at": event.occurred_at,
                }
            )
            self.count(award.member_id or event.member_id, event.occurred_at, award.points, 0)
        self.history.add(rows)
        self._promote({row.member_id for row in rows} | {item.member_id})
        return evaluation, result

    def _post(self, event: EventView, evaluation: engine.Evaluation) -> list[dict[str, Any]]:
        """Post each member's points: one earn entry, or a pending hold when a rule
        asked for a return window, each keeping its breakdown (see `rules.breakdown`)."""
        postings = []
        reference = ledger_reference(event.kind, event.event_id)
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
            # The line's reason in the member's history: what gave the most (the
            # breakdown in its data keeps every rule's share).
            reason = max(given, key=lambda a: a.points).reason if given else None
            breakdown = Breakdown.of(evaluation, event.member_id, member_id, total)
            data = {"event": str(event.id), **breakdown.data()}
            (wallet,) = self.journal.wallets_of([member_id], create=True, active=False)
            posting: dict[str, Any] = {
                "member_id": str(member_id),
                "points": total,
                "entry_id": None,
                "hold_id": None,
                "pending_until": None,
                "repaid_debt": None,
                "incurred_debt": 0,
                "absorbed": 0,
                "lapsed": 0,
            }
            if pending and max(pending) > self.now:
                hold = ledger.open_pending(
                    self.journal,
                    wallet,
                    total,
                    reference=reference,
                    memo=reason,
                    available_at=max(pending),
                    lot_expires_at=expires_at,
                    data=data,
                )
                posting["hold_id"] = str(hold["id"])
                posting["pending_until"] = max(pending).isoformat()
            else:
                entry = self.journal.entry(
                    "earn", self.actor, reference=reference, memo=reason, data=data
                )
                repaid, _ = self.journal.credit(
                    entry,
                    wallet,
                    total,
                    source="issued",
                    earned_at=self.now,
                    expires_at=expires_at or self.policy.expiry_for(self.now),
                )
                posting["entry_id"] = str(entry.id)
                posting["repaid_debt"] = repaid
            postings.append(posting)
        return postings

    # --- writing ----------------------------------------------------------------------

    def keep_event(
        self,
        item: CheckedEvent,
        event_id: uuid.UUID,
        fingerprint: bytes,
        result: dict[str, Any],
        *,
        order_id: str | None,
        amount: int | None,
        data: dict[str, Any],
    ) -> None:
        """Queue the event's row (written at the next flush)."""
        self.event_rows.append(
            {
                "tenant_id": self.tenant_id,
                "id": event_id,
                "kind": item.given.kind,
                "event_id": item.given.event_id,
                "member_id": item.member_id,
                "order_id": order_id,
                "occurred_at": item.occurred_at,
                "received_at": self.now,
                "data": data,
                "request_hash": fingerprint,
                "amount": amount,
                "points": result["points"],
                "result": result,
            }
        )

    def renew_journal(self) -> None:
        """Another journal moved points: forget the wallets this one had read."""
        self.journal = Journal(self.session, self.tenant_id, self.now)

    def _announce(self) -> None:
        """One `EarnEventsRecorded` for the events this flush writes."""
        if not self.event_rows:
            return
        recorded = [
            {
                "id": str(row["id"]),
                "kind": row["kind"],
                "event_id": row["event_id"],
                "member_id": str(row["member_id"]) if row["member_id"] else None,
                "occurred_at": row["occurred_at"].isoformat(),
                "amount": row["amount"],
                "points": row["points"],
            }
            for row in self.event_rows
        ]
        event = EarnEventsRecorded(self.tenant_id, recorded)
        emit(self.session, event, now=self.now, tenant_id=self.tenant_id, lane=self.journal.lane)

    def flush(self) -> None:
        """Write what the batch's events have queued so far."""
        self.journal.flush()
        c = self.connection
        self._announce()
        sql.insert_rows(c, Event.__table__, self.event_rows)
        sql.insert_rows(c, EventAward.__table__, self.award_rows)
        for kind in self.kinds.values():
            kind.flush(c)
        members.add_to_days(c, self.tenant_id, self.days)
        self.event_rows = []
        self.award_rows = []
        self.days = {}
        self.history.written()


def _result(
    event: EventView, evaluation: engine.Evaluation, postings: list[dict[str, Any]]
) -> dict[str, Any]:
    """The event's stored result, as the API answers it."""
    total = sum(a.points for a in evaluation.awards)
    status = "none"
    if postings:
        status = "pending" if all(p["hold_id"] for p in postings) else "posted"
    return {
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
