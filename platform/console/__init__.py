"""The merchant console: `/console`, server-rendered pages for a merchant's staff.

`pages` holds the blueprint and what every page shares, `access` who may open each
route; each area has its module (`auth`, `signup`, `setup`, `home`; the team and security
area's are `team*`).
"""

from __future__ import annotations

from flask import Flask

from jifen.console import (
    auth,
    home,
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
    "home",
    "init_app",
    "setup",
    "signup",
    "team",
    "team_audit",
    "team_join",
    "team_keys",
    "team_security",
    "team_sign_in",
]
