"""Revenue recognised from the points' contract liability, period by period
(IFRS 15 §B39-B43, B46; the worked example IE267-IE270).

The amount allocated to a sale's points (`jifen.finance.allocation`) is a contract
liability. It becomes revenue as the points are redeemed, in proportion to the points
expected to be redeemed in all: at the end of each period

    cumulative = round_half_up(allocated * redeemed / expected_redemptions)

with `redeemed` the points redeemed so far and `expected_redemptions` the current
estimate of all the points that will ever be redeemed. The period's revenue is that
cumulative amount less the cumulative amount of the period before, so a revised estimate
is caught up in the period it is revised in, and rounding never drifts: the periods'
revenues always add up to the last cumulative amount. The liability left is the
allocated amount less the cumulative amount.

Points that expire can no longer be redeemed: the estimate a period uses is capped at
the points redeemed plus those still outstanding (issued, less redeemed, less expired).
When nothing is outstanding the estimate is final (what was redeemed), and whatever is
left of the liability is recognised: the breakage. An estimate of no further redemptions
likewise leaves no liability, even when nothing was redeemed.

Each period also reports its catch-up: how much of its revenue is due to the estimate
having changed since the period before (its revenue less the revenue the same
redemptions would have given under the previous period's estimate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from jifen.finance.figures import require_non_negative
from jifen.finance.rounding import round_half_up


@dataclass(frozen=True)
class PointsPeriod:
    """The points issued with a sale (or a batch of sales), as known at the end of a
    reporting period. The counts are to date, since the points were issued: a refunded
    redemption lowers `redeemed`."""

    label: str  # the period, e.g. "2026" or "2026-03"
    redeemed: int
    expected_redemptions: int  # the estimate, now, of all the points that will be redeemed
    expired: int = 0


@dataclass(frozen=True)
class PeriodRevenue:
    """What a period recognised, in minor units. `revenue` is negative when a raised
    estimate or a refunded redemption takes back revenue recognised before."""

    label: str
    revenue: int
    cumulative: int
    liability: int  # the contract liability left at the period's end
    catch_up: int  # the part of `revenue` due to the estimate's change (0 in the first)
    expected_redemptions: int  # the estimate used, capped by the points that can be redeemed


def recognise(
    allocated: int, points: int, periods: Sequence[PointsPeriod]
) -> tuple[PeriodRevenue, ...]:
    """The revenue recognised in each of `periods` (in order) from `allocated` minor
    units deferred for `points` points (see the module's docstring for the rule).

    Raises ValueError for a negative figure, for more points redeemed or expired than
    were issued, or for an estimate below the points already redeemed.
    """
    require_non_negative(allocated=allocated, points=points)
    results: list[PeriodRevenue] = []
    cumulative_before = 0
    estimate_before: int | None = None
    for period in periods:
        estimate = _estimate(points, period)
        cumulative = _cumulative(allocated, period.redeemed, estimate)
        revenue = cumulative - cumulative_before
        if estimate_before is None:
            catch_up = 0
        else:
            catch_up = cumulative - _cumulative(allocated, period.redeemed, estimate_before)
        results.append(
            PeriodRevenue(
                label=period.label,
                revenue=revenue,
                cumulative=cumulative,
                liability=allocated - cumulative,
                catch_up=catch_up,
                expected_redemptions=estimate,
            )
        )
        cumulative_before, estimate_before = cumulative, estimate
    return tuple(results)


def _estimate(points: int, period: PointsPeriod) -> int:
    """The period's estimate of all redemptions, capped by what can still be redeemed."""
    require_non_negative(
        redeemed=period.redeemed,
        expired=period.expired,
        expected_redemptions=period.expected_redemptions,
    )
    if period.redeemed + period.expired > points:
        raise ValueError(
            f"{period.label}: {period.redeemed} redeemed and {period.expired} expired"
            f" of {points} points issued"
        )
    if period.expected_redemptions < period.redeemed:
        raise ValueError(
            f"{period.label}: {period.expected_redemptions} redemptions expected in all,"
            f" but {period.redeemed} made already"
        )
    return min(period.expected_redemptions, points - period.expired)


def _cumulative(allocated: int, redeemed: int, estimate: int) -> int:
    # An estimate a later period has overtaken (its catch-up compares with it) counts as
    # fully redeemed: revenue never passes the amount allocated.
    if estimate <= redeemed:
        return allocated
    return round_half_up(Fraction(allocated * redeemed, estimate))
