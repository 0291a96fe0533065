"""Member-facing storefront pages, themed per tenant (see jifen.storefront.mall)."""

from __future__ import annotations

from flask import Flask

from jifen.storefront import (
    account,
    addresses,
    after_sales,
    cancelling,
    card,
    check_ins,
    code_sign_in,
    dev_mailbox,
    draws,
    erasure,
    home,
    invites,
    language,
    my_data,
    notice_choices,
    overrides,
    receiving,
    redeem,
    reviews,
    shelves,
    sign_in,
    stored_files,
    tasks,
    theme_files,
    top_up,
    transfers,
)
from jifen.storefront.mall import register
from jifen.storefront.pay import bp as pay_bp


def init_app(app: Flask, *, embedded: bool) -> None:
    register(app)
    dev_mailbox.init_app(app, embedded=embedded)
    app.register_blueprint(theme_files.bp)
    app.register_blueprint(stored_files.bp)
    app.register_blueprint(pay_bp)


__all__ = [
    "account",
    "addresses",
    "after_sales",
    "cancelling",
    "card",
    "check_ins",
    "code_sign_in",
    "draws",
    "erasure",
    "home",
    "init_app",
    "invites",
    "language",
    "my_data",
    "notice_choices",
    "overrides",
    "receiving",
    "redeem",
    "reviews",
    "shelves",
    "sign_in",
    "tasks",
    "top_up",
    "transfers",
]
