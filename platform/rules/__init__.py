"""The earn engine: events in, rules (plugins) evaluate, explained awards out.

The earn engine's public module: the contract a rule-type plugin builds on
(`rules/contract.py`). Plugins import from here, never from the modules below it (an
import-linter contract in pyproject.toml says so); no other domain imports the earn
engine.
"""

from jifen.rules.contract import (
    PERIODS,
    PHASES,
    Award,
    CheckinDay,
    Context,
    EventView,
    MemberProfile,
    Offer,
    RuleInstance,
    RuleType,
    attribute,
    next_streak,
)

__all__ = [
    "PERIODS",
    "PHASES",
    "Award",
    "CheckinDay",
    "Context",
    "EventView",
    "MemberProfile",
    "Offer",
    "RuleInstance",
    "RuleType",
    "attribute",
    "next_streak",
]
