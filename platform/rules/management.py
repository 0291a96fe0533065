"""A tenant's earn rules: create, change, enable, disable, archive, list; custom event
kinds. Every change of a rule is a new version, kept with who made it, and audited."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import Conflict, NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.pagination import page_in_memory, read_page
from jifen.rules.errors import RuleConflict, RuleNotEditable, UnknownRules, UnknownRuleType
from jifen.rules.kinds import catalog
from jifen.rules.models import EarnRule, EarnRuleVersion, EventKind
from jifen.rules.registry import RuleTypes
from jifen.types import new_id

# Which status each action leads to, and from which statuses it may be taken.
TRANSITIONS = {
    "enable": ("active", ("draft", "disabled")),
    "disable": ("disabled", ("active",)),
    "archive": ("archived", ("draft", "active", "disabled")),
}
EDITABLE = ("name", "params", "priority", "exclusive", "audience", "starts_at", "ends_at")


class EventKindExists(Conflict):
    code = "event_kind_exists"
    message = N_("This event kind already exists.")


class StatusChangeRefused(Conflict):
    code = "rule_status_refused"
    message = N_("The rule cannot take this action in its current status.")


def view(rule: EarnRule, rule_types: RuleTypes) -> dict[str, Any]:
    try:
        phase = rule_types.check(rule.type, rule.params)[2]
    except UnknownRuleType:  # its plugin was removed: still listed, never applied
        phase = "unknown"
    return {
        "id": rule.id,
        "name": rule.name,
        "type": rule.type,
        "phase": phase,
        "params": rule.params,
        "priority": rule.priority,
        "exclusive": rule.exclusive,
        "audience": rule.audience,
        "starts_at": rule.starts_at,
        "ends_at": rule.ends_at,
        "status": rule.status,
        "version": rule.version,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def _snapshot(rule: EarnRule) -> dict[str, Any]:
    def iso(at: datetime | None) -> str | None:
        return at.isoformat() if at else None

    return {
        "name": rule.name,
        "type": rule.type,
        "params": rule.params,
        "priority": rule.priority,
        "exclusive": rule.exclusive,
        "audience": rule.audience,
        "starts_at": iso(rule.starts_at),
        "ends_at": iso(rule.ends_at),
        "status": rule.status,
    }


def _check(session: Session, rule: EarnRule, rule_types: RuleTypes) -> str:
    """Validate the rule as a whole; its params are stored normalised. Returns its phase."""
    _, parsed, phase = rule_types.check(rule.type, rule.params)
    _check_rule_ids(session, rule_types.rule_ids(rule.type, parsed))
    rule.params = rule_types.stored_params(rule.type, parsed)
    if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
        raise ValidationFailed(details={"ends_at": [Message(N_("Must be after starts_at."))]})
    if rule.audience and "share" in rule.audience and not rule.audience.get("salt"):
        rule.audience = {**rule.audience, "salt": str(rule.id)}
    return phase


def _check_rule_ids(session: Session, rule_ids: list[uuid.UUID]) -> None:
    """The rules a rule names (a cap's scope) must be the tenant's: another tenant's
    rule, or a mistyped id, would leave the rule silently limiting nothing."""
    if not rule_ids:
        return
    known = set(session.scalars(select(EarnRule.id).where(EarnRule.id.in_(rule_ids))))
    unknown = [str(rule_id) for rule_id in rule_ids if rule_id not in known]
    if unknown:
        raise UnknownRules(details={"rule_ids": unknown})


def _overlaps(a: EarnRule, b: EarnRule) -> bool:
    starts_before_b_ends = b.ends_at is None or a.starts_at is None or a.starts_at < b.ends_at
    ends_after_b_starts = a.ends_at is None or b.starts_at is None or a.ends_at > b.starts_at
    return starts_before_b_ends and ends_after_b_starts


def _check_exclusive(session: Session, rule: EarnRule, phase: str, rule_types: RuleTypes) -> None:
    """Two active exclusive rules of one phase whose windows overlap would leave which one
    applies to priority alone: refused, so the merchant decides."""
    if rule.status != "active" or not rule.exclusive:
        return
    others = session.scalars(
        select(EarnRule).where(
            EarnRule.status == "active", EarnRule.exclusive.is_(True), EarnRule.id != rule.id
        )
    )
    for other in others:
        if rule_types.check(other.type, other.params)[2] == phase and _overlaps(rule, other):
            raise RuleConflict(details={"rule_id": str(other.id), "name": other.name})


def _record_version(session: Session, rule: EarnRule, actor: Actor, now: datetime) -> None:
    session.add(
        EarnRuleVersion(
            tenant_id=rule.tenant_id,
            rule_id=rule.id,
            version=rule.version,
            snapshot=_snapshot(rule),
            actor_kind=actor.kind,
            actor_id=actor.id,
            created_at=now,
        )
    )


def _audit(
    session: Session,
    rule: EarnRule,
    action: str,
    before: dict[str, Any] | None,
    actor: Actor,
    now: datetime,
) -> None:
    audit.record(
        session,
        tenant_id=rule.tenant_id,
        actor=actor,
        action=f"earn_rule.{action}",
        object_type="earn_rule",
        object_id=rule.id,
        before=before,
        after=_snapshot(rule),
        now=now,
    )


def create_rule(
    session: Session,
    data: dict[str, Any],
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
) -> EarnRule:
    """A new rule instance, as a draft or active at once."""
    now = clock.now()
    rule = EarnRule(
        tenant_id=tenant_of(session),
        id=new_id(),
        name=data["name"],
        type=data["type"],
        params=data.get("params") or {},
        priority=data.get("priority", 0),
        exclusive=data.get("exclusive", False),
        audience=data.get("audience"),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
        status=data.get("status", "draft"),
        version=1,
        created_at=now,
        updated_at=now,
    )
    phase = _check(session, rule, rule_types)
    _check_exclusive(session, rule, phase, rule_types)
    session.add(rule)
    _record_version(session, rule, actor, now)
    _audit(session, rule, "create", None, actor, now)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: uuid.UUID) -> EarnRule:
    rule = session.get(EarnRule, (tenant_of(session), rule_id))
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule


def _locked(session: Session, rule_id: uuid.UUID) -> EarnRule:
    rule = session.scalar(select(EarnRule).where(EarnRule.id == rule_id).with_for_update())
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule


def update_rule(
    session: Session,
    rule_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
) -> EarnRule:
    """Change some of a rule's fields; a new version. Archived rules are final."""
    rule = _locked(session, rule_id)
    if rule.status == "archived":
        raise RuleNotEditable()
    before = _snapshot(rule)
    for name in EDITABLE:
        if name in changes:
            setattr(rule, name, changes[name])
    phase = _check(session, rule, rule_types)
    _check_exclusive(session, rule, phase, rule_types)
    return _new_version(session, rule, "update", before, actor, clock)


def change_status(
    session: Session,
    rule_id: uuid.UUID,
    action: str,
    *,
    rule_types: RuleTypes,
    actor: Actor,
    clock: Clock,
) -> EarnRule:
    """Enable, disable or archive a rule (see TRANSITIONS)."""
    target, allowed = TRANSITIONS[action]
    rule = _locked(session, rule_id)
    if rule.status not in allowed:
        raise StatusChangeRefused(details={"status": rule.status, "action": action})
    before = _snapshot(rule)
    rule.status = target
    phase = _check(session, rule, rule_types)
    _check_exclusive(session, rule, phase, rule_types)
    return _new_version(session, rule, action, before, actor, clock)


def _new_version(
    session: Session,
    rule: EarnRule,
    action: str,
    before: dict[str, Any],
    actor: Actor,
    clock: Clock,
) -> EarnRule:
    now = clock.now()
    rule.version += 1
    rule.updated_at = now
    _record_version(session, rule, actor, now)
    _audit(session, rule, action, before, actor, now)
    session.flush()
    return rule


def list_rules(
    session: Session,
    status: str | Collection[str] | None = None,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[EarnRule], str | None]:
    """A page of the tenant's rules, oldest first; only those of `status` (one, or any of
    several) when given."""
    query = select(EarnRule)
    if isinstance(status, str):
        query = query.where(EarnRule.status == status)
    elif status is not None:
        query = query.where(EarnRule.status.in_(sorted(status)))
    order = (EarnRule.created_at, EarnRule.id)
    return read_page(session.scalars, query, order, (datetime, uuid.UUID), limit, cursor)


def versions(
    session: Session, rule_id: uuid.UUID, *, limit: int, cursor: str | None = None
) -> tuple[list[EarnRuleVersion], str | None]:
    """A page of a rule's versions, first first."""
    get_rule(session, rule_id)
    query = select(EarnRuleVersion).where(EarnRuleVersion.rule_id == rule_id)
    order = (EarnRuleVersion.version,)
    return read_page(session.scalars, query, order, (int,), limit, cursor)


def describe_types(rule_types: RuleTypes) -> list[tuple[str, str, Schema]]:
    """The installed rule types: name, title and the schema of their parameters (whose
    fields' metadata give each a description, an `x-unit` and an example)."""
    return [
        (name, rule_type.title, rule_types.isolate(name, "Params", rule_type.Params))
        for name, rule_type in rule_types.items()
    ]


def event_kinds(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the event kinds the tenant can send: the built-in ones, then its own,
    each by name. A tenant defines a few, so they are paged in memory."""
    built_in = [{"kind": kind, "title": kind, "built_in": True} for kind in catalog.BUILT_IN]
    custom = [
        {"kind": row.kind, "title": row.title, "built_in": False}
        for row in session.scalars(select(EventKind))
    ]

    def position(kind: dict[str, Any]) -> tuple[int, str]:
        return (0 if kind["built_in"] else 1, kind["kind"])

    kinds = sorted(built_in + custom, key=position)
    return page_in_memory(kinds, limit, cursor, position, int, str)


def add_kind(
    session: Session, kind: str, title: str, *, actor: Actor, clock: Clock
) -> dict[str, Any]:
    tenant_id = tenant_of(session)
    if kind in catalog.BUILT_IN or session.get(EventKind, (tenant_id, kind)) is not None:
        raise EventKindExists(details={"kind": kind})
    now = clock.now()
    session.add(EventKind(tenant_id=tenant_id, kind=kind, title=title, created_at=now))
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="event_kind.create",
        object_type="event_kind",
        object_id=kind,
        after={"kind": kind, "title": title},
        now=now,
    )
    session.flush()
    return {"kind": kind, "title": title, "built_in": False}
