"""The one rounding rule of the finance package: half up, on exact values.

Amounts are computed as exact fractions (`fractions.Fraction`; a `Decimal` converts to
one without loss) and rounded once, at the end: a `Decimal` division would round to the
context's 28 digits first, and a value just below a half could then round up.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction | Decimal | int) -> int:
    """`value` to the nearest integer, an exact half away from zero (2.5 to 3, -2.5 to -3,
    as `decimal.ROUND_HALF_UP` does)."""
    exact = Fraction(value)
    magnitude = (2 * abs(exact.numerator) + exact.denominator) // (2 * exact.denominator)
    return magnitude if exact >= 0 else -magnitude
