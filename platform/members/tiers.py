"""Tiers: levels members qualify for (普通, 银卡, 金卡, 钻石) and the benefits they bring.

A tier is reached by lifetime points, points within a rolling window of local days, or
spend within such a window, all counted from the daily totals (`MemberDay`) the engine
keeps with the events it records and their awards (refunds subtract).
Qualifying for a higher tier upgrades the member at once; the periodic re-evaluation
downgrades a member who no longer qualifies, after the tier's grace period.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Date, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import SYSTEM, Actor
from jifen.clock import Clock
from jifen.db import cross_tenant, writing_for
from jifen.errors import Conflict, ValidationFailed
from jifen.i18n import N_, Message
from jifen.members.domain_events import TierChanged
from jifen.members.models import Member, MemberDay, Tier
from jifen.outbox.events import BULK, INTERACTIVE, emit
from jifen.tenants import bump_revision, local_day

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

MAX_TIERS = 20
_MEMBERS = Member.__table__
_TIERS = Tier.__table__
_DAYS = MemberDay.__table__


class TierInUse(Conflict):
    code = "tier_in_use"
    message = N_("Members hold this tier; it cannot be removed.")


@dataclass(frozen=True)
class TierView:
    """A tier and its benefits, as other modules (the mall, the engine) read them."""

    code: str
    name: str
    rank: int
    basis: str
    threshold: int
    window_days: int | None
    grace_days: int
    earn_multiplier: Decimal
    redemption_discount_percent: int


def _view(row: Any) -> TierView:
    return TierView(
        code=row.code,
        name=row.name,
        rank=row.rank,
        basis=row.basis,
        threshold=row.threshold,
        window_days=row.window_days,
        grace_days=row.grace_days,
        earn_multiplier=row.earn_multiplier,
        redemption_discount_percent=row.redemption_discount_percent,
    )


_LADDER = select(_TIERS).where(_TIERS.c.tenant_id == bindparam("tenant_id")).order_by(_TIERS.c.rank)


def ladder(connection: Connection, tenant_id: uuid.UUID) -> list[TierView]:
    """The tenant's tiers, lowest rank first."""
    return [_view(row) for row in connection.execute(_LADDER, {"tenant_id": tenant_id})]


def tiers_of(session: Session, tenant_id: uuid.UUID) -> list[TierView]:
    return ladder(session.connection(), tenant_id)


def benefits_of(session: Session, tenant_id: uuid.UUID, member_id: uuid.UUID) -> TierView | None:
    """The member's tier with its benefits (earn multiplier, redemption discount), or None."""
    code = (
        session.connection()
        .execute(
            select(_MEMBERS.c.tier).where(
                _MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.id == member_id
            )
        )
        .scalar()
    )
    return next((t for t in tiers_of(session, tenant_id) if t.code == code), None)


def _check_ladder(tiers: list[dict[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    codes = [t["code"] for t in tiers]
    ranks = [t["rank"] for t in tiers]
    if len(set(codes)) != len(codes):
        errors.setdefault("tiers", []).append(N_("Tier codes must be unique."))
    if len(set(ranks)) != len(ranks):
        errors.setdefault("tiers", []).append(N_("Tier ranks must be unique."))
    for index, tier in enumerate(tiers):
        windowed = tier["basis"] != "lifetime_points"
        if windowed != (tier.get("window_days") is not None):
            errors.setdefault(f"tiers.{index}.window_days", []).append(
                N_("Required for a windowed basis, not allowed for lifetime points.")
            )
    if len(tiers) > MAX_TIERS:
        errors.setdefault("tiers", []).append(
            Message(N_("At most %(tiers)s tiers."), {"tiers": MAX_TIERS})
        )
    if errors:
        raise ValidationFailed(details=errors)


def set_ladder(
    session: Session,
    tenant_id: uuid.UUID,
    tiers: list[dict[str, Any]],
    *,
    actor: Actor,
    clock: Clock,
) -> list[TierView]:
    """Replace the tenant's tiers. A tier members hold cannot be removed; members keep
    their tiers until the next evaluation applies the new thresholds."""
    _check_ladder(tiers)
    connection = writing_for(session, tenant_id)
    now = clock.now()
    before = ladder(connection, tenant_id)
    removed = {t.code for t in before} - {t["code"] for t in tiers}
    if removed:
        held = connection.execute(
            select(func.count()).where(
                _MEMBERS.c.tenant_id == tenant_id,
                _MEMBERS.c.tier.in_(bindparam("codes", expanding=True)),
            ),
            {"codes": sorted(removed)},
        ).scalar_one()
        if held:
            raise TierInUse(details={"tiers": sorted(removed), "members": held})
        connection.execute(
            _TIERS.delete().where(
                _TIERS.c.tenant_id == tenant_id,
                _TIERS.c.code.in_(bindparam("codes", expanding=True)),
            ),
            {"codes": sorted(removed)},
        )
    # Ranks are unique: park the kept tiers on free ranks before giving the new ones.
    connection.execute(
        update(_TIERS).where(_TIERS.c.tenant_id == tenant_id).values(rank=-_TIERS.c.rank - 1)
    )
    existing = {t.code for t in before} - removed
    version = 1 + (
        connection.execute(
            select(func.coalesce(func.max(_TIERS.c.version), 0)).where(
                _TIERS.c.tenant_id == tenant_id
            )
        ).scalar_one()
    )
    for tier in tiers:
        values = {
            "name": tier["name"],
            "rank": tier["rank"],
            "basis": tier["basis"],
            "threshold": tier["threshold"],
            "window_days": tier.get("window_days"),
            "grace_days": tier.get("grace_days", 0),
            "earn_multiplier": tier.get("earn_multiplier", Decimal(1)),
            "redemption_discount_percent": tier.get("redemption_discount_percent", 0),
            "version": version,
            "updated_at": now,
        }
        if tier["code"] in existing:
            connection.execute(
                update(_TIERS)
                .where(_TIERS.c.tenant_id == tenant_id, _TIERS.c.code == tier["code"])
                .values(**values)
            )
        else:
            connection.execute(
                _TIERS.insert().values(
                    tenant_id=tenant_id, code=tier["code"], created_at=now, **values
                )
            )
    after = ladder(connection, tenant_id)
    bump_revision(session, tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="tiers.update",
        object_type="tiers",
        object_id=tenant_id,
        before={"tiers": [_public(t) for t in before]},
        after={"tiers": [_public(t) for t in after]},
        now=now,
    )
    return after


def _public(tier: TierView) -> dict[str, Any]:
    return {
        "code": tier.code,
        "rank": tier.rank,
        "basis": tier.basis,
        "threshold": tier.threshold,
        "window_days": tier.window_days,
        "grace_days": tier.grace_days,
        "earn_multiplier": str(tier.earn_multiplier),
        "redemption_discount_percent": tier.redemption_discount_percent,
    }


# --- qualification --------------------------------------------------------------------


Measure = tuple[str, int | None]  # (basis, window_days)


@functools.lru_cache(maxsize=64)
def _measures(keys: tuple[Measure, ...]) -> Any:
    """One statement summing each measure per member from their days: lifetime points,
    or points or spend over the local days from `since_<i>` on. Built once per set of
    measures (a ladder's shape), since building one costs more than running it."""
    columns = []
    for index, (basis, window) in enumerate(keys):
        column: ColumnElement[int] = _DAYS.c.spend if basis == "spend_in_window" else _DAYS.c.points
        if window is not None:
            column = case((_DAYS.c.day >= bindparam(f"since_{index}", type_=Date), column), else_=0)
        columns.append(func.coalesce(func.sum(column), 0))
    return (
        select(_DAYS.c.member_id, *columns)
        .where(
            _DAYS.c.tenant_id == bindparam("tenant_id"),
            _DAYS.c.member_id.in_(bindparam("ids", expanding=True)),
        )
        .group_by(_DAYS.c.member_id)
    )


def _keys(tiers: list[TierView]) -> tuple[Measure, ...]:
    return tuple(sorted({(t.basis, t.window_days) for t in tiers}, key=lambda k: (k[0], k[1] or 0)))


def _since(window: int | None, today: date) -> date | None:
    """The first local day a window of `window` days ending today counts (None: ever)."""
    return None if window is None else today - timedelta(days=window - 1)


def _best(tiers: list[TierView], measured: Mapping[Measure, int]) -> TierView | None:
    best = None
    for tier in tiers:  # lowest first, so a higher qualifying tier replaces a lower one
        if tier.threshold <= measured.get((tier.basis, tier.window_days), 0):
            best = tier
    return best


class Standings:
    """Members' measures on the tenant's local day `today`, read once and then moved by
    what each event adds, so that a batch's later events see the tier an earlier one
    reached."""

    def __init__(
        self,
        connection: Connection,
        tenant_id: uuid.UUID,
        member_ids: list[uuid.UUID],
        tiers: list[TierView],
        today: date,
    ) -> None:
        self.tiers = tiers
        self.keys = _keys(tiers)
        self.since = {key: _since(key[1], today) for key in self.keys}
        self.measured: dict[uuid.UUID, dict[Measure, int]] = {
            m: dict.fromkeys(self.keys, 0) for m in member_ids
        }
        if not member_ids or not tiers:
            return
        params: dict[str, Any] = {
            f"since_{index}": self.since[key]
            for index, key in enumerate(self.keys)
            if key[1] is not None
        }
        rows = connection.execute(
            _measures(self.keys), {**params, "tenant_id": tenant_id, "ids": member_ids}
        )
        for row in rows:
            self.measured[row[0]] = {
                key: int(value) for key, value in zip(self.keys, row[1:], strict=True)
            }

    def add(self, member_id: uuid.UUID, day: date, points: int, spend: int) -> None:
        """Count what the member earned (`points`) and spent on a local day (members
        whose standing was not read are not followed)."""
        measured = self.measured.get(member_id)
        if measured is None:
            return
        for key in self.keys:
            since = self.since[key]
            if since is None or day >= since:
                measured[key] += spend if key[0] == "spend_in_window" else points

    def best(self, member_id: uuid.UUID) -> TierView | None:
        """The highest tier the member qualifies for (None: none)."""
        return _best(self.tiers, self.measured.get(member_id, {}))


@dataclass(frozen=True)
class Progress:
    """How far a member is from `tier`, the next one up: `measured` of its basis (points,
    or spend in minor units, over its window) against its threshold."""

    tier: TierView
    measured: int

    @property
    def needed(self) -> int:
        return max(0, self.tier.threshold - self.measured)

    @property
    def percent(self) -> int:
        """Of the way there, 0 to 100 (whole percent, rounded down)."""
        if self.tier.threshold <= 0:
            return 100
        return min(100, self.measured * 100 // self.tier.threshold)


def progress(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    current: TierView | None,
    today: date,
) -> Progress | None:
    """The member's way to the tier above `current` on the local day `today` (None at the
    top, or with no tiers)."""
    above = [t for t in ladder(connection, tenant_id) if current is None or t.rank > current.rank]
    if not above:
        return None
    nearest = min(above, key=lambda tier: tier.rank)
    standings = Standings(connection, tenant_id, [member_id], [nearest], today)
    return Progress(nearest, standings.measured[member_id][(nearest.basis, nearest.window_days)])


def qualified(
    connection: Connection,
    tenant_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    tiers: list[TierView],
    today: date,
) -> dict[uuid.UUID, TierView | None]:
    """The highest tier each member qualifies for on the tenant's local day `today`
    (None: none)."""
    standings = Standings(connection, tenant_id, member_ids, tiers, today)
    return {member_id: standings.best(member_id) for member_id in member_ids}


def move(
    connection: Connection,
    session: Session,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    before: str | None,
    after: TierView | None,
    now: datetime,
    actor: Actor,
    *,
    lane: str = INTERACTIVE,
) -> None:
    """Put the member in tier `after` (None: below every tier) from `now` on, audited
    and announced (`TierChanged`, in the bulk lane for a periodic re-evaluation)."""
    connection.execute(
        update(_MEMBERS)
        .where(_MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.id == member_id)
        .values(tier=after.code if after else None, tier_since=now, tier_grace_until=None)
    )
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="member.tier",
        object_type="member",
        object_id=member_id,
        before={"tier": before},
        after={"tier": after.code if after else None},
        now=now,
    )
    changed = TierChanged(member_id, before, after.code if after else None)
    emit(session, changed, now=now, tenant_id=tenant_id, lane=lane)


def reevaluate_tenant(
    session: Session, tenant_id: uuid.UUID, now: datetime, *, batch: int = 1000
) -> dict[str, int]:
    """Upgrade those who qualify higher; start the grace period of those who qualify
    lower, and downgrade them once it has run out (to the tier they do qualify for)."""
    connection = writing_for(session, tenant_id)
    tiers = ladder(connection, tenant_id)
    counts = {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    if not tiers:
        return counts
    today = local_day(connection, tenant_id, now)
    by_code = {t.code: t for t in tiers}
    after: uuid.UUID | None = None
    while True:
        query = (
            select(_MEMBERS.c.id, _MEMBERS.c.tier, _MEMBERS.c.tier_grace_until)
            .where(_MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.status == "active")
            .order_by(_MEMBERS.c.id)
            .limit(batch)
        )
        if after is not None:
            query = query.where(_MEMBERS.c.id > after)
        rows = connection.execute(query).all()
        if not rows:
            return counts
        after = rows[-1].id
        best = qualified(connection, tenant_id, [r.id for r in rows], tiers, today)
        for row in rows:
            held = by_code.get(row.tier) if row.tier else None
            target = best[row.id]
            held_rank = held.rank if held else -1
            target_rank = target.rank if target else -1
            if target_rank > held_rank:
                move(
                    connection, session, tenant_id, row.id, row.tier, target, now, SYSTEM, lane=BULK
                )
                counts["upgraded"] += 1
            elif target_rank == held_rank:
                if row.tier_grace_until is not None:  # qualifies again: grace over
                    connection.execute(
                        update(_MEMBERS)
                        .where(_MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.id == row.id)
                        .values(tier_grace_until=None)
                    )
            elif held is not None:
                if row.tier_grace_until is None and held.grace_days > 0:
                    connection.execute(
                        update(_MEMBERS)
                        .where(_MEMBERS.c.tenant_id == tenant_id, _MEMBERS.c.id == row.id)
                        .values(tier_grace_until=now + timedelta(days=held.grace_days))
                    )
                    counts["grace_started"] += 1
                elif row.tier_grace_until is None or row.tier_grace_until <= now:
                    move(
                        connection,
                        session,
                        tenant_id,
                        row.id,
                        row.tier,
                        target,
                        now,
                        SYSTEM,
                        lane=BULK,
                    )
                    counts["downgraded"] += 1


def reevaluate_tiers(services: Collaborators) -> dict[str, int]:
    """Periodic job: re-evaluate every tenant's members, one transaction per tenant."""
    db = services.db
    with db.session() as session, cross_tenant(session, "tier re-evaluation"):
        tenant_ids = sorted(set(session.execute(select(_TIERS.c.tenant_id).distinct()).scalars()))
    totals = {"upgraded": 0, "downgraded": 0, "grace_started": 0}
    for tenant_id in tenant_ids:
        with db.transaction(tenant_id=tenant_id) as session:
            for key, value in reevaluate_tenant(session, tenant_id, services.clock.now()).items():
                totals[key] += value
    return totals


def distribution(session: Session, tenant_id: uuid.UUID) -> list[tuple[TierView | None, int]]:
    """How many active members each tier has, in the ladder's order, with those below
    every tier first (None)."""
    counts = dict(
        session.execute(
            select(Member.tier, func.count())
            .where(Member.tenant_id == tenant_id, Member.status == "active")
            .group_by(Member.tier)
        ).all()
    )
    ladder_ = tiers_of(session, tenant_id)
    return [(None, int(counts.get(None, 0)))] + [
        (tier, int(counts.get(tier.code, 0))) for tier in ladder_
    ]
