"""The app factory."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from jifen import compression, console, headers, storefront, web
from jifen.api import errors as api_errors
from jifen.api.setup import init_api
from jifen.cli import jifen as jifen_cli
from jifen.config import Settings
from jifen.services import Services
from jifen.theming import init_themes


class Json(DefaultJSONProvider):
    """Answers in UTF-8 as they read (Chinese names and messages), not as `\\u` escapes;
    escaped only when they hold what UTF-8 cannot (a lone surrogate a client sent, named
    back in an error)."""

    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        if text.isascii():
            return text
        try:
            text.encode()
        except UnicodeEncodeError:
            return super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


class App(Flask):
    """Flask, answering JSON as `Json` writes it, and with a cheaper answer to a question
    it asks of every view and request hook on every request: is this a coroutine
    function? `inspect` answers in several calls; the code's flags answer in one, for a
    function or a bound method alike (Flask's docs name `ensure_sync` as the method to
    override)."""

    json_provider_class = Json

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & inspect.CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment; `config` (Settings or overrides) wins."""
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    app = App(
        __name__,
        root_path=str(Path(__file__).parent),
        instance_path=str(settings.instance_path),
        template_folder=str(Path(__file__).parent / "templates"),
        static_folder=None,
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=web.MAX_BODY_BYTES,
        # Flask's signed cookie holds only the CSRF token's secret; who is signed in is
        # in the server's session rows (jifen.session_cookies).
        SESSION_COOKIE_NAME="jifen_csrf",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        TESTING=settings.testing,
    )
    logging.basicConfig(level=logging.INFO)
    services = Services.build(settings)
    app.extensions["jifen.services"] = services
    app.extensions["jifen"] = services.plugins
    headers.init_app(app)  # first: its hook runs last, on the final response
    web.init_app(app)
    api_errors.init_app(app)
    init_api(app)
    init_themes(app, services.plugins, fetch=storefront.overrides.fetch)
    console.init_app(app)
    storefront.init_app(app, embedded=settings.embedded)
    compression.init_app(app)
    app.cli.add_command(jifen_cli)
    if settings.proxy_hops:
        # The client as the trusted proxies saw it (docs/security.md): its address for
        # the sign-in throttle and the audit log, its scheme for HSTS.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
