"""A redeem mode's own counters (`Till.counter`): a number per (tenant, mode, key) that
concurrent orders move one step at a time, each step one statement.

A mode chooses its keys (a product's id for a numbered edition, a product and member
for a stamp card); modes never see each other's counters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, update

from jifen.db import upsert
from jifen.mall.models import ModeCounter

_COUNTERS = ModeCounter.__table__


@dataclass(frozen=True)
class Counter:
    connection: Connection
    tenant_id: uuid.UUID
    mode: str
    key: str

    def _row(self) -> list[ColumnElement[bool]]:
        return [
            _COUNTERS.c.tenant_id == self.tenant_id,
            _COUNTERS.c.mode == self.mode,
            _COUNTERS.c.key == self.key,
        ]

    def next(self, limit: int | None = None) -> int | None:
        """Count one more and return the new value (1 the first time); None, counting
        nothing, when the counter has reached `limit`."""
        if limit is not None and limit < 1:
            return None
        first = {"tenant_id": self.tenant_id, "mode": self.mode, "key": self.key, "value": 1}
        counted = upsert(self.connection, _COUNTERS).values(first)
        counted = counted.on_conflict_do_update(
            index_elements=[_COUNTERS.c.tenant_id, _COUNTERS.c.mode, _COUNTERS.c.key],
            set_={"value": _COUNTERS.c.value + 1},
            where=None if limit is None else _COUNTERS.c.value < limit,
        )
        return self.connection.execute(counted.returning(_COUNTERS.c.value)).scalar()

    def back(self) -> None:
        """Count one fewer (what an order counted is given back); never below zero."""
        self.connection.execute(
            update(_COUNTERS)
            .where(*self._row(), _COUNTERS.c.value > 0)
            .values(value=_COUNTERS.c.value - 1)
        )
