"""What rules would do, without posting: simulate one event, backtest a period, report
an A/B split.

The rules tried are the current ones, draft rules given inline (shaped as for POST
/rules), or a set of the tenant's saved rules named by id whatever their status (a
draft rule set: a saved draft is tried as if it were enabled).

A simulation evaluates against the member's real history (caps and streaks as they
stand), or for a newcomer (a member who does not exist yet) with none. A backtest
replays the tenant's stored events of a period in order under draft rules, with a
history of its own that starts empty at the period's start, and compares the points the
drafts would have issued with what was issued, in all and per day of the tenant's
calendar. Members are taken as they are today (their current tier and tags). Refunds
are left out on both sides.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import NotFound, ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_, Message
from jifen.members import TierView
from jifen.rules import engine, schemas, sql
from jifen.rules.contract import EventView, MemberProfile
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
# Awards read at a time while a backtest sums what was issued.
ISSUED_BATCH = 10_000
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


def saved_rules(
    session: Session, rule_ids: Sequence[uuid.UUID], rule_types: RuleTypes
) -> list[engine.CompiledRule]:
    """The tenant's rules `rule_ids` as they are saved, whatever their status but
    archived: a draft rule set. An id that is no such rule of the tenant's is NotFound
    (another tenant's rule reads as missing)."""
    wanted = list(dict.fromkeys(rule_ids))
    rows = {
        row.id: row
        for row in session.scalars(
            select(EarnRule).where(EarnRule.id.in_(wanted), EarnRule.status != "archived")
        )
    }
    for rule_id in wanted:
        if rule_id not in rows:
            raise NotFound("rule", rule_id)
    return [rule_types.compile(rows[rule_id]) for rule_id in wanted]


def _rules_tried(
    session: Session,
    drafts: list[dict[str, Any]] | None,
    rule_ids: Sequence[uuid.UUID] | None,
    rule_types: RuleTypes,
) -> list[engine.CompiledRule] | None:
    """The rules a simulation or backtest tries: inline drafts, saved rules by id, or
    None for the current ones."""
    if drafts is not None and rule_ids is not None:
        raise ValueError("give drafts or rule_ids, not both")
    if rule_ids is not None:
        return saved_rules(session, rule_ids, rule_types)
    return compile_drafts(drafts, rule_types) if drafts is not None else None


@dataclass(frozen=True)
class Newcomer:
    """A member who does not exist yet, as a simulation takes them: a tier (a code of the
    tenant's ladder, or None), tags and a birthday; no history."""

    tier: str | None = None
    tags: frozenset[str] = frozenset()
    birthday: date | None = None


def _newcomer_profile(
    newcomer: Newcomer, ladder: Mapping[str, TierView], now: datetime
) -> MemberProfile:
    tier = ladder.get(newcomer.tier) if newcomer.tier else None
    if newcomer.tier and tier is None:
        tiers = Message(N_("No such tiers: %(tiers)s."), {"tiers": str([newcomer.tier])})
        raise ValidationFailed(details={"tier": [tiers]})
    return MemberProfile(
        id=new_id(),
        external_id="",
        tier=newcomer.tier,
        tier_name=tier.name if tier else None,
        tier_multiplier=tier.earn_multiplier if tier else None,
        tags=newcomer.tags,
        birthday=newcomer.birthday,
        created_at=now,
    )


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
    rule_ids: Sequence[uuid.UUID] | None = None,
    newcomer: Newcomer | None = None,
) -> dict[str, Any]:
    """What `event` would earn now under the current rules, under `drafts`, or under the
    saved rules `rule_ids` (see the module's docstring); for the member the event names,
    or for `newcomer` (the event's member is then ignored)."""
    tenant_id = tenant_of(session)
    connection = session.connection()
    now = clock.now()
    program = load_program(connection, tenant_id, rule_types)
    if event.kind not in catalog.BUILT_IN and event.kind not in sql.custom_kinds(
        connection, tenant_id
    ):  # as POST /events would; a birthday may be simulated though only the job sends one
        raise UnknownEventKind(details={"kind": event.kind})
    item = checked_item(0, event, now)
    tried = _rules_tried(session, drafts, rule_ids, rule_types)
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

    if newcomer is None:
        member = found[find(event.member_id, event.external_id)]
        profile = profiles([member], program.tiers)[member.id]
    else:
        profile = _newcomer_profile(newcomer, program.tiers, now)
    catalog.kind_of(event.kind).resolve(item, find)
    rules = tried if tried is not None else program.rules
    view = EventView(new_id(), event.event_id, event.kind, profile.id, item.occurred_at, item.data)
    evaluation = engine.evaluate(
        rules,
        view,
        profile,
        # A newcomer's id is new: the stored history has nothing of theirs.
        History(connection, tenant_id),
        zone=program.policy.zone,
        currency=program.currency,
        now=now,
        beneficiaries=frozenset({*found, profile.id}),
    )
    return _evaluation_out(evaluation, profile.id)


def backtest(
    session: Session,
    start: datetime,
    end: datetime,
    drafts: list[dict[str, Any]] | None,
    *,
    rule_types: RuleTypes,
    clock: Clock,
    rule_ids: Sequence[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """Replay the period's events under `drafts` (or the saved rules `rule_ids`): points
    per rule, in all and per local day (`by_day`), against the issued (`issued_by_rule`,
    `issued_by_day`). A saved rule keeps its id in the answer; a draft given inline has
    none."""
    tenant_id = tenant_of(session)
    connection = session.connection()
    program = load_program(connection, tenant_id, rule_types)
    policy, currency = program.policy, program.currency
    rules = _rules_tried(session, drafts, rule_ids, rule_types)
    if rules is None:
        raise ValueError("a backtest tries drafts or saved rules")
    saved = rule_ids is not None
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
    by_day: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
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
        day = event.occurred_at.astimezone(policy.zone).date()
        for award in evaluation.awards:
            assert award.rule is not None
            by_rule[award.rule.id] += award.points
            by_day[day, award.rule.id] += award.points
    names = {rule.instance.id: rule.instance for rule in rules}

    def cost(rule_id: uuid.UUID, points: int) -> dict[str, Any]:
        rule = names[rule_id]
        shown_id = str(rule_id) if saved else None
        return {
            "rule_id": shown_id,
            "rule_name": rule.name,
            "rule_type": rule.type,
            "points": points,
        }

    issued, issued_by_day = _issued(session, tenant_id, start, end, policy.zone)
    return {
        "events": len(stored),
        "truncated": truncated,
        "would_issue": sum(by_rule.values()),
        "issued": sum(row["points"] for row in issued),
        "by_rule": [cost(rule_id, points) for rule_id, points in by_rule.items()],
        "issued_by_rule": issued,
        "by_day": _by_day(
            [{"day": day} | cost(rule_id, points) for (day, rule_id), points in by_day.items()]
        ),
        "issued_by_day": issued_by_day,
    }


def _issued(
    session: Session, tenant_id: uuid.UUID, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the period's events (refunds left out) were given, per rule and per rule and
    local day. The awards are read in one pass and summed here: a day of the tenant's
    calendar is not a day of the database's on either engine."""
    rows = session.execute(
        select(_AWARDS.c.rule_id, _AWARDS.c.rule_type, _AWARDS.c.occurred_at, _AWARDS.c.points)
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
        .execution_options(yield_per=ISSUED_BATCH)
    )
    by_rule: dict[tuple[uuid.UUID | None, str], int] = defaultdict(int)
    by_day: dict[tuple[date, uuid.UUID | None, str], int] = defaultdict(int)
    for rule_id, rule_type, occurred_at, points in rows:
        by_rule[rule_id, rule_type] += points
        by_day[occurred_at.astimezone(zone).date(), rule_id, rule_type] += points
    names = dict(
        session.execute(
            select(EarnRule.id, EarnRule.name).where(
                EarnRule.id.in_(bindparam("ids", expanding=True))
            ),
            {"ids": [rule_id for rule_id, _ in by_rule if rule_id is not None]},
        ).all()
    )

    def cost(rule_id: uuid.UUID | None, rule_type: str, points: int) -> dict[str, Any]:
        return {
            "rule_id": str(rule_id) if rule_id else None,
            "rule_name": names.get(rule_id) if rule_id else None,
            "rule_type": rule_type,
            "points": int(points),
        }

    return (
        [cost(rule_id, rule_type, points) for (rule_id, rule_type), points in by_rule.items()],
        _by_day(
            [
                {"day": day} | cost(rule_id, rule_type, points)
                for (day, rule_id, rule_type), points in by_day.items()
            ]
        ),
    )


def _by_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points per day and rule, by day then by rule (name, type), each day written
    `YYYY-MM-DD`."""
    rows.sort(key=lambda r: (r["day"], r["rule_name"] or "", r["rule_type"], r["rule_id"] or ""))
    return [row | {"day": row["day"].isoformat()} for row in rows]


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
