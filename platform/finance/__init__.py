"""Finance: the money behind the points, by IFRS 15 (pure calculation, no database).

The finance package's public module: the other packages import from here, never from
the modules below it (an import-linter contract in pyproject.toml says so). Money is in
integer minor units, points are integers, rates and prices per point are `Decimal`, and
every amount is rounded half up once, from exact values (`rounding.py`).

- `allocate`: a sale's consideration split between the goods and the points it earns;
- `recognise`: the points' share recognised as revenue as points are redeemed or
  expire, with the cumulative catch-up when the estimate of redemptions changes;
- `estimate_redemption_rate`, `expected_redemptions`: how many points get redeemed,
  from the tenant's resolved earning cohorts;
- `cost_provision`: the provision for points given without a sale.
"""

from jifen.finance.allocation import Allocation, Sale, allocate
from jifen.finance.breakage import (
    Cohort,
    RedemptionRate,
    estimate_redemption_rate,
    expected_redemptions,
)
from jifen.finance.provision import CostProvision, cost_provision
from jifen.finance.recognition import PeriodRevenue, PointsPeriod, recognise

__all__ = [
    "Allocation",
    "Cohort",
    "CostProvision",
    "PeriodRevenue",
    "PointsPeriod",
    "RedemptionRate",
    "Sale",
    "allocate",
    "cost_provision",
    "estimate_redemption_rate",
    "expected_redemptions",
    "recognise",
]
