"""Every hook a Jifen plugin can implement: the whole extension surface in one file.

Plugins are registered through the `jifen` entry-point group (built-in ones too, so the
public path is the tested path). Hooks come in two kinds:

- Registration hooks return *types* — earn rules, redemption modes, themes, payment
  providers, notifiers. Tenants configure *instances* of them (a tenant's earn rule is a
  row naming a rule type and its parameters). Every implementation is called and the
  lists are merged; names must be unique across plugins.
- Observer hooks are told that something happened, after it is committed. Their return
  value is ignored; a plugin that raises is isolated and reported by name.

Plugins see only the public objects passed to them, never sessions or the app.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("jifen")


# --- registration ---------------------------------------------------------------------


@hookspec
def register_earn_rules() -> list[Any]:
    """Return earn rule types this plugin provides.

    A rule type has `name` (unique, stable: stored in tenants' rule rows), `title`
    (shown to merchants), `Params` (a marshmallow schema validating an instance's
    parameters) and `evaluate(event, member, params, ctx) -> list[Award]`. `evaluate` must
    be pure: it reads the event, the member's public view, its params and the context
    (the tenant's local date, the clock, prior awards this period) and returns awards —
    points (a positive integer), the rule instance, a human-readable reason, and an
    optional hold or expiry. It must not post anything itself.
    """


@hookspec
def register_redeem_modes() -> list[Any]:
    """Return redemption modes this plugin provides.

    A mode has `name`, `title`, `Params` (schema for a product's mode settings) and three
    operations, each called inside the caller's transaction: `quote(...)` says what an
    item costs this member (points and money); `redeem(...)` performs the ledger and
    stock operations through the services it is given; `refund(...)` undoes a
    redemption through reversals. Raising aborts the whole order; nothing half-posts.
    """


@hookspec
def register_themes() -> list[Any]:
    """Return storefront themes this plugin provides.

    Each is a `jifen.theming.Theme`: a unique `name`, a folder with `templates/` and
    `static/`, and a `theme.toml` describing its settings (colours, logo, layout). A
    theme's templates may extend the base theme's as `base:page.html`.
    """


@hookspec
def register_payment_providers() -> list[Any]:
    """Return payment providers for the cash part of points-plus-cash orders.

    A provider has `name` and operations to create a payment, confirm it from a
    notification, and refund it; amounts are integer minor units with a currency code.
    """


@hookspec
def register_notifiers() -> list[Any]:
    """Return notifiers (email, SMS, push) that deliver outbox messages to members.

    A notifier has `name`, the channel it serves and `send(message) -> delivery id`;
    raising marks the delivery for retry.
    """


# --- observers ------------------------------------------------------------------------


@hookspec
def ledger_entry_posted(entry: Any) -> None:
    """Called after a ledger entry is committed, with its public view.

    For webhooks and analytics. The entry is immutable and already durable; the return
    value is ignored.
    """
