"""What an event kind adds to recording an event: its data's shape, the members it
names, its checks, and the rows it writes beside the event; and to replaying one in a
backtest: whether it is replayed, and what it leaves in the replay's history.

A batch makes one instance of a kind when it first meets an event of it, so the
instance may keep what the batch's later events of the kind must see (a referral
recorded earlier in the batch) and writes its rows when the batch flushes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import Schema, ValidationError
from sqlalchemy import Connection

from jifen.i18n import N_, Message
from jifen.rules.events import CheckedEvent

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from jifen.rules.batch import Batch
    from jifen.rules.contract import EventView
    from jifen.rules.engine import Evaluation
    from jifen.rules.history import History

MAX_FREE_DATA = 16_384  # bytes of JSON

# Finds a member by our id or the merchant's id (`create`: when the tenant allows).
FindMember = Callable[..., uuid.UUID]


class Kind:
    """An event kind whose data is free-form (a review's rating, a share's channel, a
    merchant's custom kind): it is evaluated and posted, and writes nothing else."""

    schema: ClassVar[Schema | None] = None  # None: any JSON object of limited size
    emitted_only: ClassVar[bool] = False  # sent by the platform's own jobs only
    # Replayed by backtests: a kind that takes points back (a refund) rather than earning
    # them is left out on both sides of the comparison.
    backtested: ClassVar[bool] = True

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    @classmethod
    def check_data(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The payload, validated (raises marshmallow's ValidationError)."""
        if cls.schema is not None:
            loaded: dict[str, Any] = cls.schema.load(data)
            return loaded
        if len(json.dumps(data, separators=(",", ":"))) > MAX_FREE_DATA:
            raise ValidationError(
                Message(N_("At most %(bytes)s bytes of JSON."), {"bytes": MAX_FREE_DATA}), "data"
            )
        return data

    @classmethod
    def members_named(cls, data: dict[str, Any]) -> tuple[list[uuid.UUID], list[str]]:
        """Members the payload names besides the event's own, by id and by external id
        (a stored event's payload names them by id: see `stored_data`). The rules may pay
        them as well as the event's member."""
        return [], []

    @classmethod
    def also_paid(cls, batch: Batch, rows: list[Any]) -> set[uuid.UUID]:
        """Members its events may pay who are not named in them, given the named
        members' rows: their wallets are locked up front with the others."""
        return set()

    @classmethod
    def resolve(cls, item: CheckedEvent, find: FindMember) -> None:
        """Settle the members the payload names (`find` raises for an unknown one); a
        simulation does this as recording does."""

    @classmethod
    def remember(
        cls, history: History, evaluation: Evaluation, event: EventView, zone: ZoneInfo
    ) -> None:
        """Keep in a backtest's `history` what the event adds to it besides its awards,
        for the events replayed after it (recording keeps it in `recorded`)."""

    def record(self, item: CheckedEvent, fingerprint: bytes) -> dict[str, Any]:
        """Record the event (its member is active): check it, evaluate and post it, then
        write what the kind keeps beside it; the stored result."""
        self.check(item)
        evaluation, result = self.batch.earn(item, fingerprint, self)
        self.recorded(item, evaluation, result)
        return result

    def check(self, item: CheckedEvent) -> None:
        """Refuse the event before it is evaluated (a JifenError)."""

    def recorded(self, item: CheckedEvent, evaluation: Evaluation, result: dict[str, Any]) -> None:
        """The event is evaluated and posted: keep what the kind writes beside it."""

    def order(self, item: CheckedEvent) -> tuple[str | None, int | None]:
        """The order the event is about and the money it moved, as stored with it."""
        return None, None

    def stored_data(self, item: CheckedEvent) -> dict[str, Any]:
        """The payload as stored with the event (and read back by backtests)."""
        return item.given.data

    def flush(self, connection: Connection) -> None:
        """Write the rows kept since the last flush."""
