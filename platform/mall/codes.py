"""Pools of codes for virtual products (game cards, memberships): uploaded by the
merchant as CSV, encrypted at rest, issued one a unit, and shown only with the order
they went to. A virtual product's stock is the number of codes left in its pool; a code
once issued is never issued again, even when its order is refunded."""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.mall import catalog, sql
from jifen.mall.errors import CodesExhausted, NotVirtual
from jifen.mall.models import Order, ProductCode
from jifen.types import new_id

MAX_CODE_LENGTH = 200
_CODES = ProductCode.__table__


def upload(
    session: Session,
    product_id: uuid.UUID,
    text: str,
    *,
    keyring: Keyring,
    actor: Actor,
    clock: Clock,
) -> dict[str, Any]:
    """Add the codes of a CSV (the first column; a "code" header is skipped) to a
    virtual product's pool. Codes already in the pool, or twice in the file, are counted
    and left out; unusable lines are reported by number."""
    product = catalog.get_product(session, product_id)
    if product.kind != "virtual":
        raise NotVirtual(details={"kind": product.kind})
    fresh: dict[bytes, str] = {}
    rejected, duplicates = [], 0
    for number, code, problem in _lines(text):
        if problem is not None:
            rejected.append({"line": number, "reason": problem})
            continue
        if not code or (number == 1 and code.lower() == "code"):
            continue
        digest = keyring.lookup_hash(f"{product.id}:{code}")
        if digest in fresh:
            duplicates += 1
        fresh[digest] = code
    connection = session.connection()
    known = set()
    hashes = list(fresh)
    for start in range(0, len(hashes), 500):
        known |= set(
            connection.execute(
                select(_CODES.c.code_hash).where(
                    _CODES.c.tenant_id == product.tenant_id,
                    _CODES.c.product_id == product.id,
                    _CODES.c.code_hash.in_(hashes[start : start + 500]),
                )
            ).scalars()
        )
    now = clock.now()
    rows = [
        {
            "tenant_id": product.tenant_id,
            "id": new_id(),
            "product_id": product.id,
            "code": keyring.encrypt(code),
            "code_hash": digest,
            "order_id": None,
            "issued_at": None,
            "created_at": now,
        }
        for digest, code in fresh.items()
        if digest not in known
    ]
    if rows:
        connection.execute(insert(_CODES), rows)
        sql.restock(connection, product.tenant_id, product.id, len(rows))
    session.refresh(product)
    report = {
        "added": len(rows),
        "duplicates": duplicates + len(known),
        "rejected": rejected,
        "stock": product.stock,
    }
    audit.record(
        session,
        tenant_id=product.tenant_id,
        actor=actor,
        action="product.codes",
        object_type="product",
        object_id=product.id,
        after={k: v for k, v in report.items() if k != "rejected"},
        now=now,
    )
    return report


def _lines(text: str) -> Iterator[tuple[int, str, Message | None]]:
    """Each record of the CSV: the line it starts on, its first column stripped, and
    why it cannot be a code (None when it can). A record the CSV reader refuses (a
    field past its size limit) is one such line, and reading goes on after it."""
    reader = csv.reader(io.StringIO(text))
    ended = 0  # the line the previous record ended on
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield ended + 1, "", Message(N_("Not a line of CSV."))
            ended = reader.line_num
            continue
        number, ended = ended + 1, reader.line_num
        code = row[0].strip() if row else ""
        if len(code) > MAX_CODE_LENGTH:
            problem = Message(N_("Longer than maximum length %(max)s."), {"max": MAX_CODE_LENGTH})
            yield number, "", problem
        elif any(unicodedata.category(char) in ("Cc", "Cs") for char in code):
            yield number, "", Message(N_("Contains a character that is not allowed."))
        else:
            yield number, code, None


@dataclass(frozen=True)
class PoolCounts:
    """A virtual product's codes: those left to issue and those issued."""

    left: int
    issued: int


def pool_counts(session: Session, product_id: uuid.UUID) -> PoolCounts:
    """How many of the product's codes are left, and how many went to orders."""
    product = catalog.get_product(session, product_id)
    rows = session.execute(
        select(_CODES.c.order_id.is_(None).label("free"), func.count())
        .where(_CODES.c.tenant_id == product.tenant_id, _CODES.c.product_id == product.id)
        .group_by(_CODES.c.order_id.is_(None))
    )
    counts = {bool(free): count for free, count in rows}
    return PoolCounts(left=counts.get(True, 0), issued=counts.get(False, 0))


def issue(session: Session, order: Order, now: datetime) -> None:
    """Give the order one code a unit from its product's pool."""
    claimed = sql.claim_codes(
        session.connection(), order.tenant_id, order.product_id, order.id, order.quantity, now
    )
    if claimed < order.quantity:
        raise CodesExhausted(details={"product_id": str(order.product_id)})


def codes_of(session: Session, order: Order, keyring: Keyring) -> list[str]:
    """The codes issued to an order, decrypted (for its owner only)."""
    sealed = session.scalars(
        select(ProductCode.code).where(ProductCode.order_id == order.id).order_by(ProductCode.id)
    )
    return [keyring.decrypt(code) for code in sealed]
