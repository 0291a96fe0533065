"""The relay's after-commit subscribers, in one list (as `schedules` lists the periodic
work). A subscriber's name keys its cursors and receipts: never rename one."""

from __future__ import annotations

from jifen.ledger.domain_events import PointsExpiring
from jifen.notify import members as member_notices
from jifen.outbox.relay import Subscriber

SUBSCRIBERS: tuple[Subscriber, ...] = (
    Subscriber(member_notices.SUBSCRIBER, (PointsExpiring,), member_notices.deliver),
)
