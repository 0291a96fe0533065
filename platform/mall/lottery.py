"""Auditable lottery draws (抽奖).

Commit and reveal: each draw period has a random 32-byte seed. Its sha256 is published
before the period starts; the seed is revealed once the period has ended. Draw `n` of
period `key` (the period's first local day, "2026-03-01") is computed from

    digest = HMAC-SHA256(seed, "{key}|{n}")

Its four 8-byte big-endian words are tried in turn; a word below the largest multiple
of W (the sum of the weights) that fits in 64 bits is taken modulo W, and the prize is
the one whose cumulative weight range holds it (prizes in the order the page lists
them). Rejecting the top of the range keeps every prize's odds exactly weight / W. If
all four words are rejected (less likely than 1 in 2^200 for any W a merchant sets),
the next digest is HMAC-SHA256(seed, "{key}|{n}|1"), then "|2", and so on. A prize
whose stock has run out yields the consolation prize instead; both the prize drawn and
the prize given are recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from jifen.db import insert_ignoring_duplicates
from jifen.keyring import Keyring
from jifen.ledger import Policy, policy_of
from jifen.mall.models import LotteryDraw, LotteryPeriod, LotteryPrize
from jifen.pagination import read_page

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators
    from jifen.mall.till import OrderTill

_PERIODS = LotteryPeriod.__table__
_PRIZES = LotteryPrize.__table__
_DRAWS = LotteryDraw.__table__
_WORD = 1 << 64


def draw(seed: bytes, key: str, n: int, weights: Sequence[int]) -> int:
    """The index of the prize draw `n` of period `key` picks (see the module's docstring)."""
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    limit = _WORD - _WORD % total
    extension = 0
    while True:
        message = f"{key}|{n}" if extension == 0 else f"{key}|{n}|{extension}"
        digest = hmac.new(seed, message.encode(), hashlib.sha256).digest()
        for start in range(0, 32, 8):
            word = int.from_bytes(digest[start : start + 8], "big")
            if word < limit:
                return _pick(word % total, weights)
        extension += 1


def _pick(value: int, weights: Sequence[int]) -> int:
    for index, weight in enumerate(weights):
        if value < weight:
            return index
        value -= weight
    raise AssertionError("value beyond the weights")


def seed_hash(seed: bytes) -> str:
    return hashlib.sha256(seed).hexdigest()


# --- periods -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    starts_at: datetime
    ends_at: datetime
    seed_hash: str
    draws: int
    seed: str | None  # hex, once the period has ended


def _bounds(policy: Policy, first: date, length: str) -> tuple[datetime, datetime]:
    days = 7 if length == "week" else 1
    return policy.start_of_local_day(first), policy.start_of_local_day(first + timedelta(days))


def period_start(day: date, length: str) -> date:
    """The first local day of the period holding `day` (weeks start on Monday)."""
    return day - timedelta(days=day.weekday()) if length == "week" else day


def ensure_periods(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    policy: Policy,
    length: str,
    now: datetime,
    keyring: Keyring,
) -> str:
    """Make sure the current period and the next one exist (so the next seed's hash is
    published before it starts); the current period's key. Seeds are made only for the
    periods missing, so a draw in an existing period costs one read here."""
    current = period_start(policy.local_day(now), length)
    following = current + timedelta(days=7 if length == "week" else 1)
    keys = [current.isoformat(), following.isoformat()]
    existing = set(
        connection.execute(
            select(_PERIODS.c.key).where(
                _PERIODS.c.tenant_id == tenant_id,
                _PERIODS.c.product_id == product_id,
                _PERIODS.c.key.in_(keys),
            )
        ).scalars()
    )
    rows = []
    for first in (current, following):
        if first.isoformat() in existing:
            continue
        starts_at, ends_at = _bounds(policy, first, length)
        seed = secrets.token_bytes(32)
        rows.append(
            {
                "tenant_id": tenant_id,
                "product_id": product_id,
                "key": first.isoformat(),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "seed": keyring.encrypt(seed.hex()),
                "seed_hash": seed_hash(seed),
                "draws": 0,
                "created_at": now,
            }
        )
    if rows:  # a concurrent draw may have made them meanwhile: theirs stand
        insert_ignoring_duplicates(connection, _PERIODS, rows)
    return current.isoformat()


def next_draw(
    connection: Connection, tenant_id: uuid.UUID, product_id: uuid.UUID, key: str
) -> tuple[int, str]:
    """Number the next draw of the period (one conditional update: concurrent draws get
    distinct numbers) and read its seed."""
    n = connection.execute(
        update(_PERIODS)
        .where(
            _PERIODS.c.tenant_id == tenant_id,
            _PERIODS.c.product_id == product_id,
            _PERIODS.c.key == key,
        )
        .values(draws=_PERIODS.c.draws + 1)
        .returning(_PERIODS.c.draws, _PERIODS.c.seed)
    ).one()
    return n.draws, n.seed


def win(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    code: str,
    stock: int | None,
) -> bool:
    """Take one of a prize if any is left (always, when its stock is unlimited)."""
    insert_ignoring_duplicates(
        connection,
        _PRIZES,
        {"tenant_id": tenant_id, "product_id": product_id, "code": code, "won": 0},
    )
    taken = update(_PRIZES).where(
        _PRIZES.c.tenant_id == tenant_id,
        _PRIZES.c.product_id == product_id,
        _PRIZES.c.code == code,
    )
    if stock is not None:
        taken = taken.where(_PRIZES.c.won < stock)
    return connection.execute(taken.values(won=_PRIZES.c.won + 1)).rowcount == 1


def unwin(connection: Connection, tenant_id: uuid.UUID, product_id: uuid.UUID, code: str) -> None:
    """Put a prize back (its order was refunded)."""
    connection.execute(
        update(_PRIZES)
        .where(
            _PRIZES.c.tenant_id == tenant_id,
            _PRIZES.c.product_id == product_id,
            _PRIZES.c.code == code,
        )
        .values(won=_PRIZES.c.won - 1)
    )


def record_draw(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(_DRAWS), row)


def periods(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    now: datetime,
    keyring: Keyring,
    limit: int = 30,
) -> list[Period]:
    """The product's periods, newest first; ended ones with their seed revealed."""
    rows = connection.execute(
        select(_PERIODS)
        .where(_PERIODS.c.tenant_id == tenant_id, _PERIODS.c.product_id == product_id)
        .order_by(_PERIODS.c.key.desc())
        .limit(limit)
    )
    return [
        Period(
            key=row.key,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            seed_hash=row.seed_hash,
            draws=row.draws,
            seed=keyring.decrypt(row.seed) if now >= row.ends_at else None,
        )
        for row in rows
    ]


def won_counts(
    connection: Connection, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> dict[str, int]:
    rows = connection.execute(
        select(_PRIZES.c.code, _PRIZES.c.won).where(
            _PRIZES.c.tenant_id == tenant_id, _PRIZES.c.product_id == product_id
        )
    )
    return {row.code: row.won for row in rows}


def draws_of(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    key: str,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Any], str | None]:
    """A page of the recorded draws of a period, in order."""
    query = select(_DRAWS.c.n, _DRAWS.c.drawn, _DRAWS.c.prize, _DRAWS.c.order_id).where(
        _DRAWS.c.tenant_id == tenant_id,
        _DRAWS.c.product_id == product_id,
        _DRAWS.c.period == key,
    )
    return read_page(connection.execute, query, (_DRAWS.c.n,), (int,), limit, cursor)


@dataclass(frozen=True)
class Drawn:
    """One draw: its period, its number there, the period's seed hash, and the index of
    the weight it picked."""

    period: str
    n: int
    seed_hash: str
    index: int


@dataclass(frozen=True)
class Draws:
    """A product's auditable draws and prize stock for one order: what a redeem mode is
    handed by `till.service("lottery")`."""

    connection: Connection
    tenant_id: uuid.UUID
    product_id: uuid.UUID
    order_id: uuid.UUID
    member_id: uuid.UUID
    now: datetime
    policy: Policy
    keyring: Keyring

    @classmethod
    def for_order(cls, till: OrderTill) -> Draws:
        """The draws of the order `till` serves (the built-in "lottery" till service)."""
        return cls(
            till.session.connection(),
            till.product.tenant_id,
            till.product.id,
            till.order_id,
            till.member_id,
            till.clock.now(),
            till.policy,
            till.keyring,
        )

    def draw(self, weights: Sequence[int], period: str) -> Drawn:
        """Draw in the current period ("day" or "week"; see the module's docstring),
        making its period and the next one first if they are missing."""
        key = ensure_periods(
            self.connection,
            self.tenant_id,
            self.product_id,
            policy=self.policy,
            length=period,
            now=self.now,
            keyring=self.keyring,
        )
        n, sealed = next_draw(self.connection, self.tenant_id, self.product_id, key)
        seed = bytes.fromhex(self.keyring.decrypt(sealed))
        return Drawn(key, n, seed_hash(seed), draw(seed, key, n, weights))

    def take_prize(self, code: str, stock: int | None) -> bool:
        """Take one of a prize if any is left of `stock` (always, when it is None)."""
        return win(self.connection, self.tenant_id, self.product_id, code, stock)

    def return_prize(self, code: str) -> None:
        """Put a prize back (its order was refunded; the draw stays on record)."""
        unwin(self.connection, self.tenant_id, self.product_id, code)

    def record(self, drawn: Drawn, *, picked: str, given: str) -> None:
        """Publish the draw: the prize it picked and the prize given for it."""
        record_draw(
            self.connection,
            {
                "tenant_id": self.tenant_id,
                "product_id": self.product_id,
                "period": drawn.period,
                "n": drawn.n,
                "order_id": self.order_id,
                "member_id": self.member_id,
                "drawn": picked,
                "prize": given,
                "created_at": self.now,
            },
        )


def publish(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    params: dict[str, Any],
    *,
    policy: Policy,
    now: datetime,
    keyring: Keyring,
) -> dict[str, Any]:
    """A lottery's `odds`, its current and next periods made first: their seed hashes
    are published (committed by the caller) before anyone draws in them."""
    ensure_periods(
        connection,
        tenant_id,
        product_id,
        policy=policy,
        length=params["period"],
        now=now,
        keyring=keyring,
    )
    return odds(connection, tenant_id, product_id, params, now=now, keyring=keyring)


def published(svc: MallCollaborators, product: Any) -> dict[str, Any]:
    """A lottery product's `publish`ed odds, in a transaction of its own: its current and
    next periods' seed hashes are committed before anyone draws in them."""
    with svc.db.transaction(tenant_id=product.tenant_id) as session:
        return publish(
            session.connection(),
            product.tenant_id,
            product.id,
            svc.redeem_modes.parse(product.mode, product.mode_params),
            policy=policy_of(session, product.tenant_id),
            now=svc.clock.now(),
            keyring=svc.keyring,
        )


@dataclass(frozen=True)
class PrizeChance:
    """A prize of a table and its chance of being drawn (weight / total weight)."""

    code: str
    name: str
    weight: int
    chance: Decimal
    points: int
    goods: bool
    stock: int | None


@dataclass(frozen=True)
class ImpliedOdds:
    """What a prize table implies for one draw while every prize is in stock: each
    prize's chance, the points a draw gives back on average, and the chance it gives
    the product itself."""

    prizes: list[PrizeChance]
    points_per_draw: Decimal
    goods_chance: Decimal


def implied_odds(prizes: Sequence[Mapping[str, Any]]) -> ImpliedOdds:
    """The odds of a prize table (the lottery mode's `prizes`, loaded): exact decimals
    to 28 significant digits, rounded by whoever shows them. A prize that has run out
    gives the consolation prize instead, so these are the odds of a full table."""
    total = sum(int(prize["weight"]) for prize in prizes)
    if total <= 0:
        raise ValueError("a prize table needs a weight above zero")
    chances = [
        PrizeChance(
            code=prize["code"],
            name=prize["name"],
            weight=int(prize["weight"]),
            chance=Decimal(int(prize["weight"])) / total,
            points=int(prize.get("points") or 0),
            goods=bool(prize.get("goods")),
            stock=prize.get("stock"),
        )
        for prize in prizes
    ]
    points = sum(prize.points * prize.weight for prize in chances)
    goods = sum(prize.weight for prize in chances if prize.goods)
    return ImpliedOdds(chances, Decimal(points) / total, Decimal(goods) / total)


def odds(
    connection: Connection,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    params: dict[str, Any],
    *,
    now: datetime,
    keyring: Keyring,
) -> dict[str, Any]:
    """A lottery's published odds, prizes won so far, and its periods."""
    prizes = params["prizes"]
    total = sum(prize["weight"] for prize in prizes)
    won = won_counts(connection, tenant_id, product_id)
    return {
        "prizes": [
            {
                **prize,
                "chance": str((Decimal(prize["weight"]) / total).quantize(Decimal("0.000001"))),
                "won": won.get(prize["code"], 0),
            }
            for prize in prizes
        ],
        "consolation": params["consolation"],
        "period": params["period"],
        "periods": periods(connection, tenant_id, product_id, now=now, keyring=keyring),
    }
