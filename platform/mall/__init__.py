"""The mall: catalog, stock and orders; redemption modes are plugins.

The mall's public module: the other domains and the plugins (redeem modes, payment
providers) import from here, never from the modules below it (an import-linter contract
in pyproject.toml says so).
"""

from jifen.mall.domain_events import OrderMoved, ReviewPublished, ReviewRejected
from jifen.mall.errors import NotificationRejected
from jifen.mall.lottery import Draws
from jifen.mall.modes import Counter, Item, Price, RedeemMode, Shopper, Till, points_price
from jifen.mall.orders import get_order
from jifen.mall.partners import Budgets
from jifen.mall.payments import (
    OUTCOMES,
    Notification,
    PaymentProvider,
    PaymentRequest,
    ProviderAnswer,
)
from jifen.mall.till import OrderTill, TillService

__all__ = [
    "OUTCOMES",
    "Budgets",
    "Counter",
    "Draws",
    "Item",
    "Notification",
    "NotificationRejected",
    "OrderMoved",
    "OrderTill",
    "PaymentProvider",
    "PaymentRequest",
    "Price",
    "ProviderAnswer",
    "RedeemMode",
    "ReviewPublished",
    "ReviewRejected",
    "Shopper",
    "Till",
    "TillService",
    "get_order",
    "points_price",
]
