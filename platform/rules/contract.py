"""What an earn-rule plugin sees and returns: the public objects of the earn engine.

A rule type (registered through `register_earn_rules()`) is an object with:

- `name`: unique and stable, stored in tenants' rule rows (e.g. "spend");
- `title`: shown to merchants;
- `phase(params) -> str`: when an instance runs, one of `PHASES` (see below);
- `Params`: a marshmallow `Schema` class validating an instance's parameters;
- `evaluate(event, member, params, ctx) -> list[Award]`: pure, it reads its arguments
  and returns awards; it never posts anything itself;
- optionally `history_periods(params) -> Collection[str]`: the periods an instance asks
  `ctx.granted` about, so a batch can read its members' history for them in one query
  (without it every question is its own query: correct, slower);
- optionally `rule_ids(params) -> Collection[uuid.UUID]`: the tenant's rule instances an
  instance names (a cap's scope), so that one naming a rule the tenant does not have is
  refused (`unknown_rules`) when it is saved rather than matching nothing when it runs;
- optionally `offer(params) -> Offer | None`: what an instance offers members, listed on
  the mall's "earn points" page (a task, the daily check-in, inviting a friend); None,
  or no such method, lists nothing.

The engine runs an event through the tenant's active rules phase by phase, and within a
phase by priority (highest first):

1. `earn`: base points from the event itself (spend, check-in, task, referral, birthday).
2. `multiply`: multipliers scale the multipliable points so far (`ctx.multipliable()`),
   each on the running total, so gold 1.5x on a 2x member day is 3x.
3. `bonus`: fixed extras that are not multiplied (spend 500 get 100, member-day +20).
4. `cap`: limits; a cap returns a negative award that trims what the earlier phases gave.

Within a phase an *exclusive* rule instance that awards anything replaces the awards of
the phase's other rules. The breakdown of an event is its awards in order; they always
sum to the points posted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from math import lcm
from typing import Any, Protocol

from marshmallow import Schema

PHASES = ("earn", "multiply", "bonus", "cap")
PERIODS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class EventView:
    """An event as rules see it. `data` is the kind's validated payload: for a purchase
    `amount` (minor units), `currency`, `lines` (each with `sku`, `category`, `amount`,
    `quantity`), `shipping`, `store`, `channel`, `paid_at`; for a task `task`; for a
    referral `inviter_id` and `stage`; custom kinds carry the merchant's own object."""

    id: uuid.UUID
    event_id: str
    kind: str
    member_id: uuid.UUID
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class MemberProfile:
    """The member as rules see it: no personal data beyond the birthday's day."""

    id: uuid.UUID
    external_id: str
    tier: str | None  # the tier's code
    tier_name: str | None
    tier_multiplier: Decimal | None
    tags: frozenset[str]
    birthday: date | None
    created_at: datetime


@dataclass(frozen=True)
class RuleInstance:
    """A tenant's configured rule: its type's name and its validated parameters."""

    id: uuid.UUID
    name: str
    type: str
    params: Mapping[str, Any]
    priority: int = 0
    exclusive: bool = False


@dataclass(frozen=True)
class Award:
    """Points a rule gives (or, from a cap, takes back) for one event.

    `member_id` None means the event's member (a referral also pays the inviter).
    `multipliable` marks base points that multipliers scale. `pending_until` turns the
    points into a pending hold released at that instant (a return window); `expires_at`
    overrides the tenant's expiry policy. `reason` is best a `jifen.i18n.Message`, a
    message id marked with `N_` and its parameters, kept with the award and shown in
    each reader's language (`Message(N_("daily check-in, day %(streak)s"), {"streak":
    3})`); a plain string is shown as written. `lines` attributes the points to
    purchase lines by index, so a refund of some lines takes
    back what those lines earned.
    `data` is kept with the award for the explanation (e.g. a check-in's streak); a cap
    puts the rule ids it limits under `data["cap_scope"]` (absent: all rules). An award
    of 0 points explains why a rule gave nothing ("daily limit of 3 reached").
    The engine fills `rule`.
    """

    points: int
    reason: str
    member_id: uuid.UUID | None = None
    multipliable: bool = False
    pending_until: datetime | None = None
    expires_at: datetime | None = None
    lines: Mapping[int, int] | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    rule: RuleInstance | None = None


@dataclass(frozen=True)
class Offer:
    """What a rule instance offers members: `points` for an event of kind `event`,
    at most `limit` times per `period` (one of PERIODS; None: ever) when a limit is set.
    `label` names it as an award's reason does (a `Message`, or a plain string shown as
    written)."""

    label: str
    points: int
    event: str
    limit: int | None = None
    period: str | None = None


@dataclass(frozen=True)
class CheckinDay:
    """A member's check-in: its local day and the day of the streak it made."""

    day: date
    streak: int


class Context(Protocol):
    """What a rule may know beyond the event: time, the tenant, and earlier awards."""

    now: datetime
    rule: RuleInstance  # the instance being evaluated
    local_date: date  # the event's day in the tenant's time zone
    timezone: str
    currency: str

    @property
    def awards(self) -> Sequence[Award]:
        """This event's awards so far, in order (read-only to a rule)."""

    def multipliable(self, member_id: uuid.UUID | None = None) -> int:
        """The multipliable points this event has earned so far (for the event's member
        unless another is named)."""

    def granted(
        self,
        period: str | None,
        *,
        member_id: uuid.UUID | None = None,
        rule_ids: Sequence[uuid.UUID] | None = None,
    ) -> int:
        """Points granted to the member in the local `period` ("day", "week", "month",
        "year"; None: ever) that contains the event's day, before this event; only by
        `rule_ids` when given."""

    def times(
        self,
        rule_id: uuid.UUID,
        period: str | None,
        *,
        member_id: uuid.UUID | None = None,
    ) -> int:
        """How many earlier events the rule awarded the member in the period (None: ever)."""

    def last_checkin(self) -> CheckinDay | None:
        """The member's latest check-in before this event's day."""


class RuleType(Protocol):
    name: str
    title: str

    # Read-only, so that the nested `class Params(Schema)` of an implementation fits.
    @property
    def Params(self) -> type[Schema]: ...

    def phase(self, params: Mapping[str, Any]) -> str: ...

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]: ...


# --- for rule authors ------------------------------------------------------------------


def attribute(total: int, weights: Sequence[Decimal]) -> dict[int, int]:
    """Split `total` in proportion to `weights` by largest remainder: the parts sum to
    `total` exactly and a weight of 0 gets 0 (unless every weight is 0: then equally)."""
    ratios = [weight.as_integer_ratio() for weight in weights]
    denominator = lcm(*(den for _, den in ratios)) if ratios else 1
    scaled = [num * (denominator // den) for num, den in ratios]
    if not any(scaled):
        scaled = [1] * len(weights)
    whole = sum(scaled)
    parts = [divmod(total * weight, whole) for weight in scaled]
    shares = [quotient for quotient, _ in parts]
    leftover = total - sum(shares)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-parts[i][1], i))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return dict(enumerate(shares))


def next_streak(
    previous: CheckinDay | None, day: date, *, missed_days_allowed: int = 0, cycle_days: int = 0
) -> int:
    """The day of the streak a check-in on `day` makes after the member's latest one
    (`previous`): consecutive days count on, `missed_days_allowed` missed days forgiven,
    and after day `cycle_days` (when not 0) the count starts over."""
    streak = 1
    if previous is not None and (day - previous.day).days - 1 <= missed_days_allowed:
        streak = previous.streak + 1
    return (streak - 1) % cycle_days + 1 if cycle_days else streak
