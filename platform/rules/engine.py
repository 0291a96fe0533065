"""The earn engine: an event, a member and the tenant's rules in; explained awards out.

`evaluate` is pure apart from the history it reads: it posts nothing, so simulation,
backtests and the events API share it. Phases run in order (earn, multiply, bonus,
cap), rules within a phase by priority, highest first. An exclusive rule that awards
anything takes its phase alone: exclusive rules are tried first, and the first that
awards skips the phase's other rules.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jifen.i18n import N_, Message
from jifen.registry import PluginFailed, isolated
from jifen.rules.contract import (
    PHASES,
    Award,
    CheckinDay,
    EventView,
    MemberProfile,
    RuleInstance,
    RuleType,
)
from jifen.rules.errors import RuleFailed
from jifen.rules.history import History, period_bounds

SHARE_BUCKETS = 10_000


@dataclass(frozen=True)
class CompiledRule:
    """A rule instance ready to run: its type, phase, window and audience."""

    instance: RuleInstance
    rule_type: RuleType
    phase: str
    plugin: str  # the plugin providing the type, named when it fails
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    audience: Mapping[str, Any] | None = None

    def active_at(self, instant: datetime) -> bool:
        return (self.starts_at is None or instant >= self.starts_at) and (
            self.ends_at is None or instant < self.ends_at
        )


def arm_of(audience: Mapping[str, Any] | None, member_id: uuid.UUID) -> str | None:
    """Which arm of a rule's audience the member is in: None when the rule does not
    split its audience, "test" or "control" when it shows to a share of members.

    The split hashes the rule's salt with the member id: stable across events and
    processes, and independent between rules with different salts.
    """
    if not audience or "share" not in audience:
        return None
    digest = hashlib.sha256(f"{audience['salt']}:{member_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % SHARE_BUCKETS
    return "test" if bucket < audience["share"] * SHARE_BUCKETS // 100 else "control"


def in_audience(audience: Mapping[str, Any] | None, member: MemberProfile) -> bool:
    if not audience:
        return True
    if "tiers" in audience:
        return member.tier in audience["tiers"]
    if "tags" in audience:
        return bool(member.tags.intersection(audience["tags"]))
    return arm_of(audience, member.id) == "test"


@dataclass
class Step:
    """An award as the breakdown shows it."""

    award: Award
    phase: str
    arm: str | None

    @property
    def cap_scope(self) -> str | None:
        """For a cap, the rule ids it limits, sorted and comma-joined ("" for all)."""
        if self.phase != "cap":
            return None
        return ",".join(sorted(self.award.data.get("cap_scope", ())))

    def shown(self, member_id: uuid.UUID) -> dict[str, Any]:
        """The step as the API shows it (`member_id`: the event's member)."""
        rule, reason = self.award.rule, self.award.reason
        return {
            "rule_id": str(rule.id) if rule else None,
            "rule_name": rule.name if rule else None,
            "rule_type": rule.type if rule else None,
            "phase": self.phase,
            "member_id": str(self.award.member_id or member_id),
            "points": self.award.points,
            # As written, for readers of the stored answer; `message` is what the API
            # renders in each reader's language.
            "reason": str(reason),
            "message": reason.data() if isinstance(reason, Message) else None,
            "arm": self.arm,
        }


@dataclass
class Evaluation:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def awards(self) -> list[Award]:
        return [step.award for step in self.steps]

    def totals(self, member_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """Points per member (`member_id` stands for awards naming no member)."""
        totals: dict[uuid.UUID, int] = {}
        for award in self.awards:
            who = award.member_id or member_id
            totals[who] = totals.get(who, 0) + award.points
        return totals


class RuleContext:
    """The `Context` rules read: the clock, the tenant's day, this event's awards so far
    and the member's history."""

    def __init__(
        self,
        event: EventView,
        history: History,
        *,
        zone: ZoneInfo,
        currency: str,
        now: datetime,
        awards: list[Award],
    ) -> None:
        self.event = event
        self.history = history
        self.zone = zone
        self.timezone = zone.key
        self.currency = currency
        self.now = now
        self.local_date: date = event.occurred_at.astimezone(zone).date()
        self.awards = awards
        self.rule: RuleInstance

    def _member(self, member_id: uuid.UUID | None) -> uuid.UUID:
        return member_id or self.event.member_id

    def multipliable(self, member_id: uuid.UUID | None = None) -> int:
        who = self._member(member_id)
        return sum(
            a.points for a in self.awards if a.multipliable and self._member(a.member_id) == who
        )

    def granted(
        self,
        period: str | None,
        *,
        member_id: uuid.UUID | None = None,
        rule_ids: Sequence[uuid.UUID] | None = None,
    ) -> int:
        start, end = period_bounds(self.local_date, period, self.zone)
        rules = list(rule_ids) if rule_ids else None
        return self.history.granted(self._member(member_id), start, end, rules)

    def times(
        self, rule_id: uuid.UUID, period: str | None, *, member_id: uuid.UUID | None = None
    ) -> int:
        start, end = period_bounds(self.local_date, period, self.zone)
        return self.history.times(self._member(member_id), rule_id, start, end)

    def last_checkin(self) -> CheckinDay | None:
        return self.history.last_checkin(self.event.member_id, self.local_date)


def evaluate(
    rules: Sequence[CompiledRule],
    event: EventView,
    member: MemberProfile,
    history: History,
    *,
    zone: ZoneInfo,
    currency: str,
    now: datetime,
    beneficiaries: frozenset[uuid.UUID],
) -> Evaluation:
    """What the event earns under `rules`. `beneficiaries` are the members awards may
    name (the event's member, and a referral's inviter); anything else, a negative
    award outside the cap phase, or a rule that raises fails the event (`RuleFailed`)."""
    awards: list[Award] = []
    ctx = RuleContext(event, history, zone=zone, currency=currency, now=now, awards=awards)
    result = Evaluation()
    applicable = [
        rule
        for rule in rules
        if rule.active_at(event.occurred_at) and in_audience(rule.audience, member)
    ]
    for phase in PHASES:
        in_phase = sorted(
            (r for r in applicable if r.phase == phase),
            key=lambda r: (not r.instance.exclusive, -r.instance.priority, r.instance.id),
        )
        exclusive_won = False
        for rule in in_phase:
            if exclusive_won:
                note = N_("%(rule)s: skipped, an exclusive %(phase)s rule applied")
                result.notes.append(Message(note, {"rule": rule.instance.name, "phase": phase}))
                continue
            given = _run(rule, event, member, ctx, beneficiaries)
            arm = arm_of(rule.audience, member.id)
            for award in given:
                awards.append(award)
                result.steps.append(Step(award, phase, arm))
            if rule.instance.exclusive and any(a.points for a in given):
                exclusive_won = True
    for who, total in result.totals(event.member_id).items():
        if total < 0:
            raise RuleFailed(
                N_("The caps took back more than the event earned."),
                details={"member_id": str(who), "points": total},
            )
    return result


def _evaluate(
    rule: CompiledRule, event: EventView, member: MemberProfile, ctx: RuleContext
) -> list[Award]:
    return list(rule.rule_type.evaluate(event, member, rule.instance.params, ctx))


def _run(
    rule: CompiledRule,
    event: EventView,
    member: MemberProfile,
    ctx: RuleContext,
    beneficiaries: frozenset[uuid.UUID],
) -> list[Award]:
    ctx.rule = rule.instance
    details = {
        "rule_id": str(rule.instance.id),
        "rule": rule.instance.name,
        "type": rule.rule_type.name,
    }
    try:
        given = isolated(
            rule.plugin,
            f"earn rule {rule.rule_type.name!r}.evaluate",
            _evaluate,
            rule,
            event,
            member,
            ctx,
        )
    except PluginFailed as failed:  # the event fails with the rule named, the app carries on
        raise RuleFailed(
            N_("Rule '%(rule)s' (%(type)s, plugin '%(plugin)s') raised %(error)s."),
            params={"rule": rule.instance.name, "type": rule.rule_type.name}
            | {"plugin": rule.plugin, "error": type(failed.__cause__).__name__},
            details=details,
        ) from failed.__cause__
    checked = []
    for award in given:
        points = getattr(award, "points", None)
        valid = (
            isinstance(award, Award)
            and isinstance(award.reason, str)
            and isinstance(points, int)
            and not isinstance(points, bool)
            and (points <= 0 if rule.phase == "cap" else points >= 0)
            and (award.member_id is None or award.member_id in beneficiaries)
        )
        if not valid:
            raise RuleFailed(
                N_("Rule '%(rule)s' (%(type)s) returned an invalid award."),
                params={"rule": rule.instance.name, "type": rule.rule_type.name},
                details=details,
            )
        checked.append(replace(award, rule=rule.instance))
    return checked
