"""Which kind records an event: the built-in kinds by name; a tenant's custom kinds carry
any JSON object of limited size, like the free-form built-ins."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from jifen.rules.kinds.base import Kind
from jifen.rules.kinds.birthday import Birthday
from jifen.rules.kinds.checkin import Checkin
from jifen.rules.kinds.purchase import Purchase
from jifen.rules.kinds.redeemed import KIND as REDEEMED
from jifen.rules.kinds.redeemed import Redeemed
from jifen.rules.kinds.referral import Referral
from jifen.rules.kinds.refund import Refund
from jifen.rules.kinds.task import Task

KINDS: Mapping[str, type[Kind]] = MappingProxyType(
    {
        "purchase": Purchase,
        "refund": Refund,
        "checkin": Checkin,
        "referral": Referral,
        "task": Task,
        "birthday": Birthday,
        REDEEMED: Redeemed,
        # Free-form: a review's rating, a share's channel...; `registered` is a new
        # member's (a welcome gift's trigger).
        "profile_completed": Kind,
        "review": Kind,
        "share": Kind,
        "registered": Kind,
    }
)
BUILT_IN = frozenset(KINDS)
EMITTED_ONLY = frozenset(name for name, kind in KINDS.items() if kind.emitted_only)
NOT_BACKTESTED = frozenset(name for name, kind in KINDS.items() if not kind.backtested)


def kind_of(name: str) -> type[Kind]:
    """The kind recording events named `name` (a custom kind: free-form)."""
    return KINDS.get(name, Kind)


def check_data(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The payload of an event of kind `name`, validated (raises marshmallow's
    ValidationError)."""
    return kind_of(name).check_data(data)
