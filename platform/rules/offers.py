"""What a tenant's earn rules offer one member, for the mall's "earn points" page: each
active rule in the member's audience whose type says what it offers (`offer(params)`),
with how often the member has earned it in the offer's current period."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from jifen.registry import PluginFailed, isolated
from jifen.rules import sql
from jifen.rules.contract import Offer
from jifen.rules.engine import CompiledRule, in_audience
from jifen.rules.history import period_bounds
from jifen.rules.profiles import profiles
from jifen.rules.program import load
from jifen.rules.registry import RuleTypes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offered:
    """A rule's offer to a member; `done`: the times they earned it in its period
    (None when the offer has no limit)."""

    rule_id: uuid.UUID
    offer: Offer
    done: int | None

    @property
    def finished(self) -> bool:
        """Whether the member has earned it as often as the period allows."""
        return (
            self.done is not None and self.offer.limit is not None and self.done >= self.offer.limit
        )


def offers_for(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    rule_types: RuleTypes,
    now: datetime,
) -> list[Offered]:
    """What the tenant's rules active at `now` offer the member, in the rules' order."""
    program = load(connection, tenant_id, rule_types)
    rows = sql.members(connection, tenant_id, [member_id], [])
    member = profiles(rows, program.tiers)[member_id]
    zone = program.policy.zone
    day = now.astimezone(zone).date()
    found = []
    for rule in program.rules:
        if not rule.active_at(now) or not in_audience(rule.audience, member):
            continue
        offer = _offer_of(rule)
        if offer is None or offer.points <= 0:
            continue
        done = None
        if offer.limit is not None:
            start, end = period_bounds(day, offer.period, zone)
            done = sql.times_awarded(connection, tenant_id, member_id, rule.instance.id, start, end)
        found.append(Offered(rule.instance.id, offer, done))
    return found


def _offer_of(rule: CompiledRule) -> Offer | None:
    """The rule's offer; a plugin that fails to say is logged by name and its rule left
    off the page, which the member still gets."""
    offer = getattr(rule.rule_type, "offer", None)
    if offer is None:
        return None
    try:
        given = isolated(
            rule.plugin, f"earn rule {rule.rule_type.name!r}.offer", offer, rule.instance.params
        )
    except PluginFailed:
        log.exception("earn rule %s left off the offers: its plugin failed", rule.instance.id)
        return None
    if given is not None and not isinstance(given, Offer):
        log.error(
            "earn rule %s left off the offers: plugin %r's offer() returned %s, not an Offer",
            rule.instance.id,
            rule.plugin,
            type(given).__name__,
        )
        return None
    return given
