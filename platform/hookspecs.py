"""Every hook a Jifen plugin can implement: the whole extension surface in one file.

Plugins are registered through the `jifen` entry-point group (built-in ones too, so the
public path is the tested path). Hooks come in two kinds:

- Registration hooks return *types* — earn rules, redemption modes, themes, payment
  providers, notifiers. Tenants configure *instances* of them (a tenant's earn rule is a
  row naming a rule type and its parameters). Each hook becomes one
  `jifen.registry.Registry`: every implementation is called and the lists are merged,
  keyed by each thing's `name`, with the plugin that provided it. A name two plugins
  provide stops the app (`DuplicateName`, naming both); a name nobody provides is the
  registry's own domain error, listing the known names.
- Observer hooks are told that something happened, after it is committed. Their return
  value is ignored.

Every call into a plugin (a hook, or a method of what it registered) is isolated
(`jifen.registry.isolated`): an unexpected exception fails the operation with
`PluginFailed` (`plugin_failed`, naming the plugin and the call) and the transaction
rolls back. Domain errors (`jifen.errors.JifenError`: the platform's, raised through
what the plugin was handed, or the plugin's own) pass through unchanged.

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
    optional hold or expiry. It must not post anything itself. A rule whose
    `evaluate` raises, or returns something other than awards, fails its event
    (`rule_failed`, naming the rule and its plugin) and nothing of the event is kept.
    """


@hookspec
def register_redeem_modes() -> list[Any]:
    """Return redemption modes this plugin provides (`jifen.mall.modes.RedeemMode`).

    A mode has `name`, `title`, `Params` (schema for a product's mode settings),
    `takes_cash` (its products carry a cash price), optionally `delivery_drawn` (True:
    `redeem` decides whether the product itself is given, as a lottery's prize, so an
    order needs no stock nor address up front) and three operations, each called
    inside the order's transaction: `quote(item, shopper, quantity) -> Price` says what
    the item costs this member (points and money, minor units) and must not write;
    `redeem(item, shopper, quantity, price, till) -> status` takes payment and stock
    through the `Till` it is given and returns "paid", "awaiting_payment" (it charged
    cash: the payment is requested) or "completed" (delivered already);
    `refund(item, quantity, till)` undoes it, reading what `redeem` recorded from
    `till.recorded`.

    The `Till` (`jifen.mall.modes.Till`) offers the same primitives to every mode:
    points (`spend`, `reserve`, `capture`, `award`, `give_back`), stock (`take_stock`,
    `take_stock_if_left`, `return_stock`), money (`charge`, `refund_charge`), the
    order's data (`record`, `recorded`), the mode's own counters
    (`counter(key).next(limit)`, `.back()`), and services bound to the order, which
    plugins offer every mode (`register_till_services`; built in: `service("lottery")`,
    auditable draws, and `service("partners")`, partner budgets).
    `award(points, reason)` takes the entry's memo as `str | jifen.i18n.Message`: a
    message (`Message(N_("lottery prize: %(prize)s"), {"prize": name})`) is shown in each
    reader's language, a plain string as written.
    Raising aborts the whole order; nothing half-posts.
    """


@hookspec
def register_till_services() -> list[Any]:
    """Return services this plugin offers every redemption mode through its till.

    Each is a `jifen.mall.TillService`: a unique `name` and `make(till) -> service`.
    When a mode calls `till.service(name)` while it redeems or refunds an order, `make`
    is called with that order's till (`jifen.mall.OrderTill`: the `Till` primitives, and
    the order's `order_id`, `member_id` and `clock`) and its answer is handed to the
    mode: an object working inside the order's transaction, through that till, so that
    whatever a mode does with it commits or rolls back with the order. A mode from
    another plugin can thus share a capability without the platform being patched. The
    built-in plugin `jifen.till_services` offers "lottery" (`jifen.mall.Draws`) and
    "partners" (`jifen.mall.Budgets`). A `make` that raises fails the order, named
    (`plugin_failed`), and nothing of it is kept; a name no plugin offers fails it as
    `unknown_till_service`, listing the names offered.
    """


@hookspec
def register_themes() -> list[Any]:
    """Return storefront themes this plugin provides.

    Each is a `jifen.theming.Theme`: a unique `name`, a folder with `templates/` and
    `static/`, and a `theme.toml` describing its settings (colours, logo, layout). A
    theme's templates may extend the base theme's as `base:page.html`. Its folders are
    read when a page is rendered; a theme that fails there fails the page, named.
    """


@hookspec
def register_payment_providers(settings: Any) -> list[Any]:
    """Return payment providers (`jifen.mall.payments.PaymentProvider`) for the cash
    part of points-plus-cash orders and for points top-ups, given the app's settings
    (`jifen.config.Settings`: secrets for signatures, e.g. derived from `secret_key`).

    A provider has `name`, `title`, `start(request) -> ProviderAnswer` (status
    "pending", "succeeded" or "failed", the provider's reference, instructions for the
    member) and `refund(request)`. Amounts are integer minor units with a currency code.
    Both are called by the relay after commit, never inside a transaction, and may be
    called again for the same payment: `request.id` (the payment's id) is the
    idempotency key of `start`, `request.refund_key` that of `refund`. Raising (bound
    your own calls with a timeout, and raise) leaves the payment as it was, and the
    relay retries with backoff. An answer that is not a `ProviderAnswer` (or has a
    status other than those three) is the plugin's failure, named and retried alike.
    The answer may come back after a notification already settled the payment, or
    after the payment was cancelled or expired: it then fills only the reference and
    instructions still missing, and money it says was collected for a payment that
    ended unpaid is refunded.

    Optional: `parse_notification(headers, body) -> Notification`
    (`jifen.mall.payments.Notification`: the payment id, the outcome "succeeded" or
    "failed", and the provider's own reference or None) reads a notification posted to
    `/api/v1/payments/notify/<name>`, verifying the provider's own signature and raising
    `jifen.mall.errors.NotificationRejected` when it does not verify or cannot be read
    (the route answers 403 `notification_rejected` and changes nothing). Raising
    anything else, or returning anything but a `Notification` of that shape, is the
    plugin's failure: 502 `plugin_failed` naming the plugin, nothing changed, so the
    provider sends it again. `payment_page(request, locale) -> str` renders the
    provider's own payment page (HTML) at `/pay/<name, "-" for "_">/<payment id>`.
    """


@hookspec
def register_notifiers(settings: Any) -> list[Any]:
    """Return notifiers (`jifen.notify.notifiers.Notifier`) that deliver messages to
    members, given the app's settings (`jifen.config.Settings`): return none when the
    settings do not configure yours (the SMTP notifier needs `JIFEN_SMTP_URL`).

    A notifier has `name`, the `channels` it serves ("email", "sms", "push") and
    `send(message) -> delivery id`. The relay calls it after the change that caused the
    message has committed, never inside a transaction. `message.id` is the causing
    event's id: pass it on as Message-ID or idempotency key, since a message may be
    delivered more than once. Raising means "not sent": the relay retries with backoff,
    and dead-letters the message after repeated failures. The first plugin offering a
    channel serves it. Never log `message.to` unmasked.
    """


# --- observers ------------------------------------------------------------------------


@hookspec
def ledger_entry_posted(entry: Any) -> None:
    """Called for every ledger entry after it is committed, with its public view
    (`jifen.ledger.results.EntryView`), for webhooks and analytics.

    The relay calls it, never inside a database transaction, at least once and in the
    order entries were posted: tolerate a repeat (the entry's id is stable). Each
    implementing plugin is fed on its own (subscriber `ledger_entry_posted@<plugin>`):
    one that raises is retried with backoff and dead-lettered alone. The entry is
    immutable and already durable; the return value is ignored.
    """
