"""The demo: `flask jifen demo` (and `make run`) seeds three malls in three themes, and
the benchmarks measure the programme and catalog a merchant would start from."""

from jifen.demo.catalog import seed_catalog
from jifen.demo.program import RULES, TIERS, seed_earn_program

__all__ = ["RULES", "TIERS", "seed_catalog", "seed_earn_program"]
