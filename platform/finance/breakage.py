"""How many points get redeemed, estimated from the tenant's own history (IFRS 15 §B46).

Points are grouped into cohorts by when they were earned. A cohort is resolved when none
of its points are outstanding: each was redeemed or expired (or taken back, when the
purchase that earned it was refunded, which counts neither way). The expected-redemption
rate is, over the resolved cohorts,

    rate = redeemed / (redeemed + expired)

so each cohort weighs as many points as it resolved. Cohorts still outstanding are left
out: their points that will expire have not yet. With fewer resolved points than a
stated minimum the history says too little, and a default rate, the merchant's own
judgement, is used instead. The rate is rounded half up to 8 decimal places (what a
`jifen.types.Rate` column keeps on PostgreSQL).

The points still outstanding are then expected to be redeemed at that rate:
`round_half_up(outstanding * rate)` whole points. The rate is that of points from
their earning, applied to points that have waited unredeemed for a while, which are
likelier to expire: the estimate errs on the side of more redemptions, so of deferring
revenue longer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jifen.finance.figures import require_non_negative, require_rate
from jifen.finance.rounding import round_half_up
from jifen.types import canonical_rate

RATE_PLACES = 8


@dataclass(frozen=True)
class Cohort:
    """The points earned in one period (`label`, e.g. "2025-03") and what became of them
    so far. `redeemed + expired + outstanding` may fall short of `earned` by the points
    taken back."""

    label: str
    earned: int
    redeemed: int
    expired: int
    outstanding: int


@dataclass(frozen=True)
class RedemptionRate:
    """An expected-redemption rate and what it was based on, to explain it."""

    rate: Decimal
    from_history: bool  # False: the history said too little, `rate` is the default
    resolved_cohorts: tuple[str, ...]  # the labels of the cohorts the history counted
    redeemed: int  # the points those cohorts redeemed
    expired: int  # and let expire
    minimum: int  # the resolved points the history needs to be used

    @property
    def resolved(self) -> int:
        """The points of the history: redeemed or expired in resolved cohorts."""
        return self.redeemed + self.expired


def estimate_redemption_rate(
    cohorts: Sequence[Cohort], *, default: Decimal, minimum: int
) -> RedemptionRate:
    """The share of points expected to be redeemed, from the resolved `cohorts`, or
    `default` when they resolved fewer than `minimum` points (see the module's docstring).

    Raises ValueError for a negative count, a cohort that accounts for more points than
    it earned, two cohorts of one label, a default that is not a rate from 0 to 1, or a
    minimum below 1.
    """
    require_rate("default", default)
    if minimum < 1:
        raise ValueError(f"the minimum of resolved points must be at least 1, not {minimum}")
    labels = [cohort.label for cohort in cohorts]
    if len(set(labels)) != len(labels):
        raise ValueError(f"cohorts must have one label each: {sorted(labels)}")
    for cohort in cohorts:
        _check(cohort)
    resolved = [cohort for cohort in cohorts if cohort.outstanding == 0]
    redeemed = sum(cohort.redeemed for cohort in resolved)
    expired = sum(cohort.expired for cohort in resolved)
    from_history = redeemed + expired >= minimum
    return RedemptionRate(
        rate=_rate(Fraction(redeemed, redeemed + expired)) if from_history else default,
        from_history=from_history,
        resolved_cohorts=tuple(cohort.label for cohort in resolved),
        redeemed=redeemed,
        expired=expired,
        minimum=minimum,
    )


def expected_redemptions(outstanding: int, rate: Decimal) -> int:
    """The whole points expected to be redeemed of `outstanding` points:
    `round_half_up(outstanding * rate)`."""
    require_non_negative(outstanding=outstanding)
    require_rate("rate", rate)
    return round_half_up(outstanding * Fraction(rate))


def _check(cohort: Cohort) -> None:
    require_non_negative(
        earned=cohort.earned,
        redeemed=cohort.redeemed,
        expired=cohort.expired,
        outstanding=cohort.outstanding,
    )
    if cohort.redeemed + cohort.expired + cohort.outstanding > cohort.earned:
        raise ValueError(
            f"cohort {cohort.label}: {cohort.redeemed} redeemed, {cohort.expired} expired"
            f" and {cohort.outstanding} outstanding of {cohort.earned} earned"
        )


def _rate(exact: Fraction) -> Decimal:
    return canonical_rate(Decimal(round_half_up(exact * 10**RATE_PLACES)).scaleb(-RATE_PLACES))
