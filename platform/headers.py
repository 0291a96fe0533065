"""Security headers on every response: what a browser may run, who may frame it, what it
sends along.

Pages get a Content Security Policy whose scripts are our own files or carry this
request's nonce (`csp_nonce()` in templates: `<script nonce="{{ csp_nonce() }}">`), so an
injected inline script does not run. Who may frame a page is `'self'` plus, on a mall's
pages, the origins the merchant allowed (`allow_framing_by`): merchants embed their mall
in their own apps. Anything that is not a page (JSON, files) loads nothing and is framed
by no one. The `Server` header is the WSGI server's business: the embedded mode's
(`flask jifen serve`) does not name itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Response, g, request

NONCE_BYTES = 16
HSTS = "max-age=31536000; includeSubDomains"
_EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"


def csp_nonce() -> str:
    """This request's script nonce, made on first use; the page's policy names it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    nonce: str = g.csp_nonce
    return nonce


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let these origins (besides our own) frame the page this request answers."""
    g.frame_ancestors = tuple(origins)


def page_policy() -> str:
    nonce = g.get("csp_nonce")
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    ancestors = " ".join(("'self'", *g.get("frame_ancestors", ())))
    return (
        f"script-src {scripts}; object-src 'none'; base-uri 'self'; form-action 'self';"
        f" frame-ancestors {ancestors}"
    )


def add_headers(response: Response) -> Response:
    response.headers.update(_EVERY_RESPONSE)
    is_page = response.mimetype == "text/html"
    response.headers["Content-Security-Policy"] = page_policy() if is_page else _NOT_A_PAGE
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    """Register before anything else that answers after the request: Flask runs those
    hooks last-registered first, so the headers land on whatever response wins."""
    app.after_request(add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
