"""What rules would do, without posting: simulate one event, backtest a period, report
an A/B split.

A simulation evaluates against the member's real history (caps and streaks as they
stand). A backtest replays the tenant's stored events of a period in order under draft
rules, with a history of its own that starts empty at the period's start, and compares
the points the drafts would have issued with what was issued. Members are taken as they
are today (their current tier and tags). Refunds are left out on both sides.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import ValidationFailed
from jifen.field_messages import field_messages
from jifen.rules import engine, schemas, sql
from jifen.rules.contract import EventView
from jifen.rules.errors import UnknownEventKind, unknown_member
from jifen.rules.events import EventIn
from jifen.rules.history import AwardRow, History
from jifen.rules.kinds import catalog
from jifen.rules.management import get_rule
from jifen.rules.models import EarnRule, Event, EventAward
from jifen.rules.profiles import profiles
from jifen.rules.program import load as load_program
from jifen.rules.recording import checked_item
from jifen.rules.registry import RuleTypes
from jifen.types import new_id

BACKTEST_LIMIT = 100_000
_AWARDS = EventAward.__table__
_EVENTS = Event.__table__


@dataclass(frozen=True)
class DraftRow:
    """A draft rule given inline, shaped like a stored rule row."""

    id: uuid.UUID
    version: int
    name: str
    type: str
    params: dict[str, Any]
    priority: int
    exclusive: bool
    audience: dict[str, Any] | None
    starts_at: datetime | None
    ends_at: datetime | None


def compile_drafts(
    drafts: list[dict[str, Any]], rule_types: RuleTypes
) -> list[engine.CompiledRule]:
    """Draft rules, each validated as for POST /rules."""
    compiled = []
    for index, raw in enumerate(drafts):
        try:
            data = schemas.RuleIn().load(raw)
        except ValidationError as error:
            raise ValidationFailed(
                details={f"rules.{index}": field_messages(error.messages)}
            ) from None
        rule_id = new_id()
        audience = data["audience"]
        if audience and "share" in audience and "salt" not in audience:
            audience = {**audience, "salt": str(rule_id)}
        row = DraftRow(
            id=rule_id,
            version=1,
            name=data["name"],
            type=data["type"],
            params=data["params"],
            priority=data["priority"],
            exclusive=data["exclusive"],
            audience=audience,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
        compiled.append(rule_types.compile(row, cache=False))
    return compiled


def _evaluation_out(evaluation: engine.Evaluation, member_id: uuid.UUID) -> dict[str, Any]:
    return {
        "points": sum(a.points for a in evaluation.awards),
        "awards": [step.shown(member_id) for step in evaluation.steps],
        "notes": evaluation.notes,
    }


def simulate(
    session: Session,
    event: EventIn,
    drafts: list[dict[str, Any]] | None,
    *,
    rule_types: RuleTypes,
    clock: Clock,
) -> dict[str, Any]:
    """What `event` would earn now under the current rules, or under `drafts`."""
    tenant_id = tenant_of(session)
    connection = session.connection()
    now = clock.now()
    program = load_program(connection, tenant_id, rule_types)
    if event.kind not in catalog.BUILT_IN and event.kind not in sql.custom_kinds(
        connection, tenant_id
    ):  # as POST /events would; a birthday may be simulated though only the job sends one
        raise UnknownEventKind(details={"kind": event.kind})
    item = checked_item(0, event, now)
    found: dict[uuid.UUID, Any] = {}  # the members the event names, who may be paid

    def find(member_id: uuid.UUID | None, external_id: str | None, **_: Any) -> uuid.UUID:
        """A member by our id or the merchant's, as recording finds them (a simulation
        creates no one)."""
        ids = [member_id] if member_id else []
        externals = [external_id] if external_id and not member_id else []
        rows = sql.members(connection, tenant_id, ids, externals)
        if not rows:
            raise unknown_member(
                **({"member_id": str(member_id)} if member_id else {"external_id": external_id})
            )
        row_id: uuid.UUID = rows[0].id
        found[row_id] = rows[0]
        return row_id

    member = found[find(event.member_id, event.external_id)]
    catalog.kind_of(event.kind).resolve(item, find)
    rules = compile_drafts(drafts, rule_types) if drafts is not None else program.rules
    view = EventView(new_id(), event.event_id, event.kind, member.id, item.occurred_at, item.data)
    evaluation = engine.evaluate(
        rules,
        view,
        profiles([member], program.tiers)[member.id],
        History(connection, tenant_id),
        zone=program.policy.zone,
        currency=program.currency,
        now=now,
        beneficiaries=frozenset(found),
    )
    return _evaluation_out(evaluation, member.id)


def backtest(
    session: Session,
    start: datetime,
    end: datetime,
    drafts: list[dict[str, Any]],
    *,
    rule_types: RuleTypes,
    clock: Clock,
) -> dict[str, Any]:
    """Replay the period's events under `drafts`: points per rule, against the issued."""
    tenant_id = tenant_of(session)
    connection = session.connection()
    program = load_program(connection, tenant_id, rule_types)
    policy, currency = program.policy, program.currency
    rules = compile_drafts(drafts, rule_types)
    stored = sql.events_between(connection, tenant_id, start, end, BACKTEST_LIMIT + 1)
    truncated = len(stored) > BACKTEST_LIMIT
    stored = [e for e in stored[:BACKTEST_LIMIT] if e.kind not in catalog.NOT_BACKTESTED]
    replayed = []  # each event with its kind, its data checked and the members it may pay
    for event in stored:
        kind = catalog.kind_of(event.kind)
        data = kind.check_data(event.data)
        named, _ = kind.members_named(data)
        replayed.append((event, kind, data, frozenset({event.member_id, *named})))
    member_ids = set().union(*(paid for *_, paid in replayed))
    members = profiles(sql.members(connection, tenant_id, sorted(member_ids), []), program.tiers)
    history = History(None, tenant_id)
    by_rule: dict[uuid.UUID, int] = defaultdict(int)
    for event, kind, data, paid in replayed:
        view = EventView(
            event.id, event.event_id, event.kind, event.member_id, event.occurred_at, data
        )
        evaluation = engine.evaluate(
            rules,
            view,
            members[event.member_id],
            history,
            zone=policy.zone,
            currency=currency,
            now=event.occurred_at,
            beneficiaries=paid,
        )
        history.add(
            [
                AwardRow.of(step, event.id, view.member_id, event.occurred_at)
                for step in evaluation.steps
            ]
        )
        kind.remember(history, evaluation, view, policy.zone)
        for award in evaluation.awards:
            assert award.rule is not None
            by_rule[award.rule.id] += award.points
    names = {rule.instance.id: rule.instance for rule in rules}
    issued = _issued_by_rule(session, tenant_id, start, end)
    return {
        "events": len(stored),
        "truncated": truncated,
        "would_issue": sum(by_rule.values()),
        "issued": sum(row["points"] for row in issued),
        "by_rule": [
            {
                "rule_id": None,
                "rule_name": names[rule_id].name,
                "rule_type": names[rule_id].type,
                "points": points,
            }
            for rule_id, points in by_rule.items()
        ],
        "issued_by_rule": issued,
    }


def _issued_by_rule(
    session: Session, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    rows = session.execute(
        select(_AWARDS.c.rule_id, _AWARDS.c.rule_type, func.sum(_AWARDS.c.points))
        .join(
            _EVENTS,
            (_EVENTS.c.tenant_id == _AWARDS.c.tenant_id) & (_EVENTS.c.id == _AWARDS.c.event_id),
        )
        .where(
            _AWARDS.c.tenant_id == tenant_id,
            _EVENTS.c.kind.not_in(sorted(catalog.NOT_BACKTESTED)),
            _EVENTS.c.occurred_at >= start,
            _EVENTS.c.occurred_at < end,
        )
        .group_by(_AWARDS.c.rule_id, _AWARDS.c.rule_type)
    ).all()
    names = dict(
        session.execute(
            select(EarnRule.id, EarnRule.name).where(
                EarnRule.id.in_(bindparam("ids", expanding=True))
            ),
            {"ids": [r[0] for r in rows if r[0] is not None]},
        ).all()
    )
    return [
        {
            "rule_id": str(rule_id) if rule_id else None,
            "rule_name": names.get(rule_id),
            "rule_type": rule_type,
            "points": int(points),
        }
        for rule_id, rule_type, points in rows
    ]


def arm_report(session: Session, rule_id: uuid.UUID) -> dict[str, Any]:
    """For a rule shown to a share of members: members, events and points per arm over
    the rule's window, and the points the rule itself gave."""
    rule = get_rule(session, rule_id)
    tenant_id = tenant_of(session)
    query = select(
        _EVENTS.c.member_id, func.count(), func.coalesce(func.sum(_EVENTS.c.points), 0)
    ).group_by(_EVENTS.c.member_id)
    query = query.where(_EVENTS.c.tenant_id == tenant_id)
    if rule.starts_at is not None:
        query = query.where(_EVENTS.c.occurred_at >= rule.starts_at)
    if rule.ends_at is not None:
        query = query.where(_EVENTS.c.occurred_at < rule.ends_at)
    rule_points = dict(
        session.execute(
            select(_AWARDS.c.member_id, func.sum(_AWARDS.c.points))
            .where(_AWARDS.c.tenant_id == tenant_id, _AWARDS.c.rule_id == rule_id)
            .group_by(_AWARDS.c.member_id)
        ).all()
    )
    arms: dict[str, dict[str, Any]] = {}
    for member_id, events, points in session.execute(query):
        arm = engine.arm_of(rule.audience, member_id) or "all"
        row = arms.setdefault(
            arm, {"arm": arm, "members": 0, "events": 0, "points": 0, "rule_points": 0}
        )
        row["members"] += 1
        row["events"] += int(events)
        row["points"] += int(points)
        row["rule_points"] += int(rule_points.get(member_id, 0))
    return {"rule_id": rule.id, "arms": sorted(arms.values(), key=lambda r: r["arm"])}
