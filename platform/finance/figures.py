"""The checks every figure given to the finance package passes, each naming the figure.

The package is pure calculation over figures the platform computes, so a figure out of
range is a bug in the caller: a ValueError, not a domain error a user acts on.
"""

from __future__ import annotations

from decimal import Decimal


def require_rate(name: str, rate: Decimal) -> None:
    """Refuse a rate that is not a finite `Decimal` between 0 and 1."""
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise ValueError(f"{name} must be a finite rate from 0 to 1, not {rate}")


def require_non_negative(**amounts: int | Decimal) -> None:
    """Refuse any amount below zero (or a `Decimal` that is not finite), naming it."""
    for name, amount in amounts.items():
        if isinstance(amount, Decimal) and not amount.is_finite():
            raise ValueError(f"{name} must be finite, not {amount}")
        if amount < 0:
            raise ValueError(f"{name} must not be negative, not {amount}")
