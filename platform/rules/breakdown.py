"""What a member's earning from one event is made of, kept with it in the ledger.

The earn engine posts a member's points from an event as one earn entry or one pending
earn, and keeps the breakdown in its data: what each rule gave the member (the positive
awards, in the order the engine ran them, named as the rules were called then) and, when
awards attribute their points to purchase lines, what each line earned. A refund reads
it back through `ledger.earnings_of`, so it takes back what the refunded lines and rules
gave however the rules have changed since, and never reads the answer stored with the
event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jifen.rules.contract import attribute
from jifen.rules.engine import Evaluation


def shares(weights: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """`total` split over (key, weight) pairs in proportion (see `attribute`); zero
    parts, and everything when no weight is positive, are left out."""
    if total <= 0 or sum(w for _, w in weights) <= 0:
        return []
    parts = attribute(total, [Decimal(w) for _, w in weights])
    return [(key, parts[i]) for i, (key, _) in enumerate(weights) if parts[i]]


@dataclass(frozen=True)
class RuleAward:
    """What one rule gave the member, as its award was recorded."""

    rule_id: uuid.UUID | None
    rule_name: str | None
    rule_type: str
    arm: str | None
    cap_scope: str | None
    points: int


@dataclass(frozen=True)
class Breakdown:
    """A member's earning from one event, by rule and by purchase line."""

    awards: tuple[RuleAward, ...] = ()
    # Points per purchase line index, in proportion to what each line earned before
    # multipliers, bonuses and caps; they add up to the earning.
    lines: Mapping[int, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls, evaluation: Evaluation, event_member: uuid.UUID, member: uuid.UUID, total: int
    ) -> Breakdown:
        """What `total` points of the evaluation's awards to `member` are made of
        (`event_member`: the member awards naming no member go to)."""
        awards = []
        base: dict[int, int] = {}
        for step in evaluation.steps:
            award = step.award
            if (award.member_id or event_member) != member:
                continue
            for index, points in (award.lines or {}).items():
                base[index] = base.get(index, 0) + points
            if award.points > 0:
                rule = award.rule
                awards.append(
                    RuleAward(
                        rule.id if rule else None,
                        rule.name if rule else None,
                        rule.type if rule else "",
                        step.arm,
                        step.cap_scope,
                        award.points,
                    )
                )
        return cls(tuple(awards), dict(shares(sorted(base.items()), total)))

    def data(self) -> dict[str, Any]:
        """As JSON, to keep with the earning."""
        return {
            "awards": [
                {
                    "rule_id": str(a.rule_id) if a.rule_id else None,
                    "rule_name": a.rule_name,
                    "rule_type": a.rule_type,
                    "arm": a.arm,
                    "cap_scope": a.cap_scope,
                    "points": a.points,
                }
                for a in self.awards
            ],
            "lines": {str(index): points for index, points in self.lines.items()},
        }

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Breakdown:
        """The breakdown kept as `data` (an earning posted without one: empty)."""
        awards = tuple(
            RuleAward(
                uuid.UUID(a["rule_id"]) if a["rule_id"] else None,
                a["rule_name"],
                a["rule_type"],
                a["arm"],
                a["cap_scope"],
                int(a["points"]),
            )
            for a in data.get("awards", ())
        )
        lines = {int(index): int(points) for index, points in data.get("lines", {}).items()}
        return cls(awards, lines)
