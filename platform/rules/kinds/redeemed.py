"""`redeemed`: a member's order placed in the mall (see `rules.mall_bridge`), so a
merchant's campaign can give points back on redemptions."""

from __future__ import annotations

import uuid

from jifen.rules.kinds.base import Kind

KIND = "redeemed"


def event_id(order_id: uuid.UUID) -> str:
    """The event id of an order's `redeemed` event."""
    return f"order:{order_id}"


class Redeemed(Kind):
    pass
