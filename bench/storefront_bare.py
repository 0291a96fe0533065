"""The storefront benchmark's bare endpoint: the same theme template as ours' home page,
rendered from a context captured from ours (`JIFEN_BENCH_CONTEXT`, a pickle), with the
same Jinja environment, filters and translations, and the same routes to build links
to, but no database and no session. Served by gunicorn as `bench.storefront_bare:app`."""

from __future__ import annotations

import os
import pickle
from typing import Any

from flask import Blueprint, Flask, g
from flask_babel import Babel

from jifen.i18n import CATALOGS
from jifen.plugins import build_plugin_manager
from jifen.theming import init_themes

app = Flask("bench_storefront_bare")
app.config["SECRET_KEY"] = "bench"  # the page's CSRF token is made (and signed) as ours
Babel(app, locale_selector=lambda: "zh_CN", default_translation_directories=str(CATALOGS))
init_themes(app, build_plugin_manager())

with open(os.environ["JIFEN_BENCH_CONTEXT"], "rb") as captured:
    TEMPLATE, CONTEXT = pickle.load(captured)

mall = Blueprint("storefront", __name__)


@mall.url_value_preprocessor
def _take_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.mall_slug = values.pop("slug", None) if values else None


@mall.url_defaults
def _keep_slug(endpoint: str, values: dict[str, Any]) -> None:
    if g.get("mall_slug") is not None and app.url_map.is_endpoint_expecting(endpoint, "slug"):
        values.setdefault("slug", g.mall_slug)


@mall.route("/")
def home() -> str:
    page: str = app.extensions["jifen.theme_env"].get_template(TEMPLATE).render(**CONTEXT)
    return page


# The links a page builds: the same routes as ours, answering nothing.
LINKS = [
    ("/shop", "shelf"),
    ("/shop/<uuid:product_id>", "product"),
    ("/account", "account"),
    ("/check-in", "check_in"),
    ("/language", "language"),
    ("/sign-in/code", "ask_for_code"),
]
for rule, endpoint in LINKS:
    mall.add_url_rule(rule, endpoint, lambda **_: "")
app.register_blueprint(mall, url_prefix="/m/<slug>")
themes = Blueprint("themes", __name__)
themes.add_url_rule("/themes/<theme>/static/<path:filename>", "static_file", lambda **_: "")
app.register_blueprint(themes)
