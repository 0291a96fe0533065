"""A tenant's earn program: what its events are evaluated under — the points policy,
the currency, the active rules compiled, and the tiers.

Read with one query: the settings, and stamps of the rules and the tiers. The compiled
rules and the tiers are kept by the app's rule types per tenant and reused while the
stamps (how many there are and the sum of their versions, which every change raises)
stay the same.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from jifen import members
from jifen.ledger import Policy, policy_from_row
from jifen.members import TierView
from jifen.rules import sql
from jifen.rules.engine import CompiledRule
from jifen.rules.errors import UnknownRuleType
from jifen.rules.registry import RuleTypes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Program:
    policy: Policy
    currency: str
    rules: tuple[CompiledRule, ...]
    tiers: Mapping[str, TierView]


def _compiled(rule_types: RuleTypes, rows: list[Any]) -> list[CompiledRule]:
    """The rules whose type is installed. A rule whose plugin was removed is skipped and
    logged: the tenant's other rules go on working, and the merchant's events with them."""
    compiled = []
    for row in rows:
        try:
            compiled.append(rule_types.compile(row))
        except UnknownRuleType:
            log.warning("earn rule %s skipped: no plugin provides type %r", row.id, row.type)
    return compiled


def load(connection: Connection, tenant_id: uuid.UUID, rule_types: RuleTypes) -> Program:
    row = sql.program_row(connection, tenant_id)
    stored = row._mapping
    policy_row = (
        {
            name.removeprefix("policy_"): value
            for name, value in stored.items()
            if name.startswith("policy_")
        }
        if row.policy_tenant_id is not None
        else None
    )
    stamp = (row.rules_n, row.rules_v, row.tiers_n, row.tiers_v)
    cached = rule_types.cached_program(tenant_id, stamp)
    if cached is None:
        rules = tuple(_compiled(rule_types, sql.rules(connection, tenant_id)))
        cached = (rules, {t.code: t for t in members.ladder(connection, tenant_id)})
        rule_types.keep_program(tenant_id, stamp, cached)
    rules, ladder = cached
    return Program(
        policy=policy_from_row(row.timezone, policy_row),
        currency=row.currency,
        rules=rules,
        tiers=ladder,
    )


# How long a process trusts what it knows of a tenant's rules without asking the database,
# where a wrong guess costs little: whether a new member's registration is an event.
FRESH_SECONDS = 5.0


def has_rules(connection: Connection, tenant_id: uuid.UUID, rule_types: RuleTypes) -> bool:
    """Whether the tenant has active rules, known to within FRESH_SECONDS."""
    recent = rule_types.recent_program(tenant_id, FRESH_SECONDS)
    if recent is not None:
        return bool(recent[0])
    return bool(load(connection, tenant_id, rule_types).rules)
