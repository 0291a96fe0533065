"""Every subscriber to the domain events, in one place (as `schedules` lists the periodic
work): the few that run inside the emitting transaction, and the relay's after-commit
subscribers. An after-commit subscriber's name keys its cursors and receipts: never
rename one.

Observer hooks are fed here too: each plugin implementing one is a subscriber of its
own, so a plugin that raises is retried, and dead-lettered, alone and by name, while
the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from jifen.ledger import daily
from jifen.ledger import merging as ledger_merging
from jifen.ledger.domain_events import EntriesPosted, PointsExpiring
from jifen.ledger.results import posted_entries
from jifen.mall import after_sales, provider_calls
from jifen.mall import merging as mall_merging
from jifen.mall.domain_events import OrderMoved, ReviewPublished, ReviewRejected
from jifen.members import MergedIntoMember, SignInCodeRequested
from jifen.notify import codes as sign_in_codes
from jifen.notify import console_codes, staff_invitations
from jifen.notify import members as member_notices
from jifen.outbox.events import DomainEvent, InTransaction
from jifen.outbox.relay import Delivered, Subscriber
from jifen.plugins import alone
from jifen.rules import mall_bridge
from jifen.rules import merging as rules_merging
from jifen.tenants import StaffInvited, UserCodeRequested

# What must commit or roll back with the change that announced it. A merge moves the
# merged member's points, mall records and events with it.
IN_TRANSACTION: tuple[InTransaction, ...] = (
    InTransaction(OrderMoved, mall_bridge.order_moved),
    InTransaction(ReviewPublished, mall_bridge.review_published),
    InTransaction(ReviewRejected, mall_bridge.review_rejected),
    InTransaction(OrderMoved, after_sales.order_moved),
    InTransaction(MergedIntoMember, ledger_merging.member_merged),
    InTransaction(MergedIntoMember, mall_merging.member_merged),
    InTransaction(MergedIntoMember, rules_merging.member_merged),
)

SUBSCRIBERS: tuple[Subscriber, ...] = (
    Subscriber(member_notices.SUBSCRIBER, (PointsExpiring,), member_notices.deliver),
    Subscriber(provider_calls.SUBSCRIBER, provider_calls.EVENTS, provider_calls.deliver),
    Subscriber(sign_in_codes.SUBSCRIBER, (SignInCodeRequested,), sign_in_codes.deliver),
    Subscriber(console_codes.SUBSCRIBER, (UserCodeRequested,), console_codes.deliver),
    Subscriber(daily.SUBSCRIBER, (EntriesPosted,), daily.roll_up),
    Subscriber(staff_invitations.SUBSCRIBER, (StaffInvited,), staff_invitations.deliver),
)

# Observer hook -> the event feeding it, and the hook's keyword arguments for each call
# that event makes.
OBSERVERS: dict[str, tuple[type[DomainEvent], Callable[[Any], list[dict[str, Any]]]]] = {
    "ledger_entry_posted": (
        EntriesPosted,
        lambda event: [{"entry": view} for view in posted_entries(event)],
    ),
}


def subscribers(plugins: pluggy.PluginManager) -> list[Subscriber]:
    """Every subscriber of an app: the platform's and one per observer plugin."""
    found = list(SUBSCRIBERS)
    for hook_name, (event_class, calls) in OBSERVERS.items():
        for impl in getattr(plugins.hook, hook_name).get_hookimpls():
            found.append(
                Subscriber(
                    f"{hook_name}@{impl.plugin_name}"[:64],
                    (event_class,),
                    _observer(plugins, hook_name, impl.plugin_name, calls),
                )
            )
    return found


def _observer(
    plugins: pluggy.PluginManager,
    hook_name: str,
    plugin: str,
    calls: Callable[[Any], list[dict[str, Any]]],
) -> Any:
    def deliver(services: Any, delivered: Delivered) -> None:
        hook = alone(plugins, hook_name, plugin)
        for kwargs in calls(delivered.event):
            hook(**kwargs)

    return deliver
