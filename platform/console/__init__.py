"""The merchant console: `/console`, server-rendered pages for a merchant's staff.

`pages` holds the blueprint and what every page shares, `access` who may open each
route; each area has its modules, imported here so that their routes are registered.
"""

from __future__ import annotations

from flask import Flask

from jifen.console import (
    auth,
    catalog_categories,
    catalog_codes,
    catalog_coupons,
    catalog_flash_sales,
    catalog_lottery,
    catalog_partners,
    catalog_products,
    dashboard,
    home,
    members,
    members_export,
    members_import,
    orders,
    orders_after_sales,
    orders_export,
    orders_moves,
    orders_shipping,
    reviews,
    rules,
    rules_backtest,
    rules_form,
    rules_simulator,
    settings,
    settings_domains,
    settings_look,
    settings_members,
    settings_points,
    settings_tiers,
    setup,
    signup,
    team,
    team_audit,
    team_join,
    team_keys,
    team_security,
    team_sign_in,
)
from jifen.console.pages import bp, csrf


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.register_blueprint(bp)


__all__ = [
    "auth",
    "catalog_categories",
    "catalog_codes",
    "catalog_coupons",
    "catalog_flash_sales",
    "catalog_lottery",
    "catalog_partners",
    "catalog_products",
    "dashboard",
    "home",
    "init_app",
    "members",
    "members_export",
    "members_import",
    "orders",
    "orders_after_sales",
    "orders_export",
    "orders_moves",
    "orders_shipping",
    "reviews",
    "rules",
    "rules_backtest",
    "rules_form",
    "rules_simulator",
    "settings",
    "settings_domains",
    "settings_look",
    "settings_members",
    "settings_points",
    "settings_tiers",
    "setup",
    "signup",
    "team",
    "team_audit",
    "team_join",
    "team_keys",
    "team_security",
    "team_sign_in",
]
