"""The merchant console: `/console`, server-rendered pages for a merchant's staff.

`pages` holds the blueprint and what every page shares, `access` who may open each
route; each area has its module (`auth`, `signup`, `setup`, `home`, `members`).
"""

from __future__ import annotations

from flask import Flask

from jifen.console import auth, home, members, members_export, members_import, setup, signup
from jifen.console.pages import bp, csrf


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.register_blueprint(bp)


__all__ = [
    "auth",
    "home",
    "init_app",
    "members",
    "members_export",
    "members_import",
    "setup",
    "signup",
]
