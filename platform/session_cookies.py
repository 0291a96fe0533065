"""The cookies that carry signed-in sessions: one for the console, one per tenant's mall.

The console's cookie (`jifen_console`) is sent to /console only; a mall's is named after
its tenant (`jifen_mall_<tenant id>`), so signing in to one mall signs in to no other
mall, nor to the console, even where they share a host. Every one is HttpOnly, and
`Secure` unless the settings say otherwise (the embedded mode's default, served over
plain HTTP on a local network). A mall that lives inside a merchant's app is framed by
another site, where a browser sends only `SameSite=None; Secure` cookies, and keeps them
in that site's partition (`Partitioned`, CHIPS).

Flask's own signed cookie (`jifen_csrf`) carries only the CSRF token's secret: it signs
no one in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypedDict

from flask import g, request
from werkzeug import Response

from jifen.tenants import sessions
from jifen.tenants.models import Tenant, WebSession
from jifen.web import db_session, services

CONSOLE_COOKIE = "jifen_console"


@dataclass(frozen=True)
class Surface:
    """Where a session signs in, and the cookie that carries it there."""

    name: str
    tenant_id: uuid.UUID | None
    cookie: str
    path: str
    cross_site: bool = False


def console() -> Surface:
    return Surface(sessions.CONSOLE, None, CONSOLE_COOKIE, "/console")


def mall(tenant: Tenant) -> Surface:
    return Surface(sessions.MALL, tenant.id, mall_cookie(tenant.id), "/", tenant.mall_embedded)


def mall_cookie(tenant_id: uuid.UUID) -> str:
    """The name of the cookie that carries a session at the tenant's mall."""
    return f"jifen_mall_{tenant_id.hex}"


def current(surface: Surface) -> WebSession | None:
    """The live session this request's cookie opens on `surface` (read once a request)."""
    found: dict[str, WebSession | None] = g.setdefault("web_sessions", {})
    if surface.cookie not in found:
        found[surface.cookie] = sessions.find(
            db_session(),
            request.cookies.get(surface.cookie),
            surface=surface.name,
            tenant_id=surface.tenant_id,
            clock=services().clock,
        )
    return found[surface.cookie]


def sign_in(response: Response, surface: Surface, subject_id: uuid.UUID) -> WebSession:
    """Start a session with a new token, ending the one this browser had there: a token
    planted before sign-in (session fixation) never becomes a signed-in one."""
    clock = services().clock
    previous = current(surface)
    if previous is not None:
        sessions.revoke(previous, clock=clock)
    row, token = sessions.open_session(
        db_session(),
        surface=surface.name,
        subject_id=subject_id,
        tenant_id=surface.tenant_id,
        clock=clock,
    )
    g.web_sessions[surface.cookie] = row
    response.set_cookie(
        surface.cookie, token, max_age=sessions.LIFETIME[surface.name], **_attributes(surface)
    )
    return row


def sign_out(response: Response, surface: Surface) -> None:
    """End this browser's session on `surface`; its token opens nothing afterwards."""
    row = current(surface)
    if row is not None:
        sessions.revoke(row, clock=services().clock)
    g.web_sessions[surface.cookie] = None
    response.delete_cookie(surface.cookie, **_attributes(surface))


def keep_beside(response: Response, surface: Surface, name: str, value: str, max_age: int) -> None:
    """Keep another cookie of ours on the surface, sent and guarded as its session's."""
    response.set_cookie(name, value, max_age=max_age, **_attributes(surface))


def drop_beside(response: Response, surface: Surface, name: str) -> None:
    """Drop a cookie `keep_beside` kept."""
    response.delete_cookie(name, **_attributes(surface))


class _Attributes(TypedDict):
    path: str
    httponly: bool
    secure: bool
    samesite: str
    partitioned: bool


def _attributes(surface: Surface) -> _Attributes:
    cross_site = surface.cross_site
    return _Attributes(
        path=surface.path,
        httponly=True,
        secure=cross_site or services().settings.secure_cookies,
        samesite="None" if cross_site else "Lax",
        partitioned=cross_site,
    )
