"""The merchant console: `/console`, server-rendered pages for a merchant's staff.

`pages` holds the blueprint and what every page shares, `access` who may open each
route; each area has its module (`auth`, `signup`, `setup`, `home`, and the catalog's
`catalog_*`).
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
    home,
    setup,
    signup,
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
    "home",
    "init_app",
    "setup",
    "signup",
]
