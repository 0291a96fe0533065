"""The request edge: one session per request, committed (or rolled back) once, here.

A request whose method writes opens a write transaction (BEGIN IMMEDIATE on SQLite);
others read. The response decides: below 400 commits, anything else rolls back, so a
refused request leaves nothing behind (but a throttle's count: `keep_when_refused`).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from typing import Any

from babel import Locale
from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.errors import Conflict, JifenError
from jifen.i18n import CATALOGS, LOCALES, N_, catalog_locale
from jifen.services import Services

log = logging.getLogger(__name__)
API_PREFIX = "/api/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The largest request body the app reads; Flask refuses a larger one unread (413).
MAX_BODY_BYTES = 1024 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Unavailable(JifenError):
    code = "unavailable"
    status = 503
    message = N_("The service is busy; retry shortly.")


def services() -> Services:
    found: Services = current_app.extensions["jifen.services"]
    return found


def db_session(*, write: bool = False) -> Session:
    """This request's session, opened on first use: for writing when the method writes,
    or when `write` says that this request does although its method does not (a link a
    browser opens with GET that signs a member in). Asking to write once it has been
    opened for reading is a programming error."""
    if "db_session" not in g:
        g.db_session_writes = write or request.method in WRITE_METHODS
        g.db_session = services().db.session(write=g.db_session_writes)
    elif write and not g.db_session_writes:
        raise RuntimeError("the request's session was opened for reading")
    session: Session = g.db_session
    return session


def request_id() -> str:
    """The caller's `X-Request-Id` if it is a sensible one, else 32 random hex digits."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(16)
    current: str = g.request_id
    return current


def request_actor(kind: str, actor_id: str | None) -> Actor:
    return Actor(kind=kind, id=actor_id, request_id=request_id(), ip=request.remote_addr)


def reader_locale() -> Locale:
    """The language of this request's answers: the one the reader chose (a member in
    their mall, see `set_chosen_locale`), else the best of `Accept-Language` we have a
    catalog for, else the tenant's locale (set by whoever identified the tenant, see
    `set_tenant_locale`), else the platform's default."""
    chosen = catalog_locale(g.get("chosen_locale"))
    if chosen:
        return _parsed(chosen)
    asked = request.accept_languages.best_match(LOCALES)
    if asked:
        return _parsed(asked)
    return _parsed(catalog_locale(g.get("tenant_locale")) or services().settings.default_locale)


@functools.cache
def _parsed(locale: str) -> Locale:
    """Babel's `Locale` for an identifier, made once: parsing one costs more than the
    rest of rendering an error."""
    return Locale.parse(locale)


def set_chosen_locale(locale: str | None) -> None:
    """The language the reader chose, over their browser's."""
    g.chosen_locale = locale


def set_tenant_locale(locale: str) -> None:
    """The locale answers fall back to in this request: the tenant's."""
    g.tenant_locale = locale


def reader_timezone() -> str | None:
    """The time zone this request's times are shown in: the tenant's, where a page is
    for one (see `set_tenant_timezone`), else UTC."""
    zone: str | None = g.get("tenant_timezone")
    return zone


def set_tenant_timezone(zone: str) -> None:
    g.tenant_timezone = zone


def keep_when_refused() -> None:
    """Commit this request's session even if its response refuses the request (4xx): for
    a count a refusal must keep (a throttle's). Only where nothing else was written."""
    g.keep_when_refused = True


def finish(response: Response) -> Response:
    """Commit when the response succeeded (or refused, where `keep_when_refused`), roll
    back otherwise."""
    session: Session | None = g.pop("db_session", None)
    response.headers["X-Request-Id"] = request_id()
    if session is None:
        return response
    kept = response.status_code < 500 and g.pop("keep_when_refused", False)
    try:
        if response.status_code < 400 or kept:
            session.commit()
        else:
            session.rollback()
    except IntegrityError:
        session.rollback()
        log.warning("commit refused by a constraint", exc_info=True)
        return current_app.make_response(error_response(Conflict()))
    except OperationalError:
        session.rollback()
        log.exception("commit failed")
        return current_app.make_response(error_response(Unavailable()))
    finally:
        session.close()
    return response


def error_response(error: JifenError) -> tuple[dict[str, Any], int]:
    return error.to_dict(), error.status


def teardown(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions for pages; none for the API.

    API callers authenticate by key on every request and get no cookie; skipping the
    session also spares each API request the building of a cookie signer.
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    Babel(
        app,
        locale_selector=reader_locale,
        timezone_selector=reader_timezone,
        default_translation_directories=str(CATALOGS),
    )
    app.after_request(finish)
    app.teardown_request(teardown)
