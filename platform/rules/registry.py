"""The rule types installed plugins provide, and tenants' rule rows compiled against them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import pluggy

from jifen.collaborators import Collaborators
from jifen.registry import Configurables
from jifen.rules.contract import PHASES, RuleInstance, RuleType
from jifen.rules.engine import CompiledRule
from jifen.rules.errors import RuleConfigInvalid, UnknownRuleType

# Parsed parameters kept per (rule id, version); a row's version changes with its params.
PARSED_CACHE_SIZE = 4096


class RuleTypes(Configurables[RuleType]):
    """Every earn rule type, by name, from `register_earn_rules()`. Kept by the app's
    services; parsed parameters are cached per rule version."""

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        super().__init__(
            plugins, "register_earn_rules", kind="earn rule", unknown=UnknownRuleType, field="type"
        )
        self._parsed: dict[tuple[uuid.UUID, int], Mapping[str, Any]] = {}
        self._programs: dict[uuid.UUID, tuple[Any, Any, float]] = {}

    def cached_program(self, tenant_id: uuid.UUID, stamp: Any) -> Any:
        """What `jifen.rules.program` kept for a tenant under this stamp, or None. A
        match counts as a fresh check."""
        kept = self._programs.get(tenant_id)
        if kept is None or kept[0] != stamp:
            return None
        self._programs[tenant_id] = (stamp, kept[1], time.monotonic())
        return kept[1]

    def recent_program(self, tenant_id: uuid.UUID, max_age: float) -> Any:
        """What was kept for a tenant, if its stamp was checked within `max_age` s."""
        kept = self._programs.get(tenant_id)
        if kept is None or time.monotonic() - kept[2] > max_age:
            return None
        return kept[1]

    def keep_program(self, tenant_id: uuid.UUID, stamp: Any, kept: Any) -> None:
        if len(self._programs) >= PARSED_CACHE_SIZE:
            self._programs.clear()
        self._programs[tenant_id] = (stamp, kept, time.monotonic())

    def check(self, name: str, params: Any) -> tuple[RuleType, Mapping[str, Any], str]:
        """The type, the parsed parameters and the phase; `RuleConfigInvalid` if the
        parameters fail the type's schema."""
        rule_type = self.get(name)
        parsed = self.load_params(name, params, invalid=RuleConfigInvalid, field="params")
        phase = self.call_checked(name, "phase", lambda phase: phase in PHASES, parsed)
        return rule_type, parsed, phase

    def rule_ids(self, name: str, params: Mapping[str, Any]) -> list[uuid.UUID]:
        """The rule instances parameters of this type name (none if the type has no
        `rule_ids`)."""
        if not hasattr(self.get(name), "rule_ids"):
            return []
        ids = self.call_checked(
            name,
            "rule_ids",
            lambda ids: all(isinstance(i, uuid.UUID) for i in ids),
            params,
        )
        return list(dict.fromkeys(ids))

    def stored_params(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters as JSON, normalised by the type's schema (rates as strings)."""
        return self.dump_params(name, params)

    def compile(self, row: Any, *, cache: bool = True) -> CompiledRule:
        """A rule row (id, version, name, type, params, priority, exclusive, audience,
        starts_at, ends_at) ready to evaluate; drafts (`cache=False`) are not kept."""
        key = (row.id, row.version)
        parsed = self._parsed.get(key) if cache else None
        if parsed is None:
            _, parsed, _ = self.check(row.type, row.params)
            if cache:
                if len(self._parsed) >= PARSED_CACHE_SIZE:
                    self._parsed.clear()
                self._parsed[key] = parsed
        rule_type = self.get(row.type)
        return CompiledRule(
            instance=RuleInstance(
                id=row.id,
                name=row.name,
                type=row.type,
                params=parsed,
                priority=row.priority,
                exclusive=row.exclusive,
            ),
            rule_type=rule_type,
            plugin=self.plugin_of(row.type),
            phase=self.call(row.type, "phase", parsed),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            audience=row.audience,
        )


class EarnCollaborators(Collaborators, Protocol):
    """The core's collaborators and the earn rule types: what the earn engine needs."""

    @property
    def rule_types(self) -> RuleTypes: ...
