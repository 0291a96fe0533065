"""API authentication, scopes and idempotency, applied to every authenticated blueprint.

`secured_blueprint()` makes a flask-smorest Blueprint whose requests must carry
`Authorization: Bearer jf_<prefix>_<secret>`; the key scopes the session to its tenant.
Every write request may carry an `Idempotency-Key`: the first answer is stored in the
same transaction as the write and replayed for repeats; a repeat that arrives while the
first is in flight waits for it (see `jifen.idempotency`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from jifen import idempotency
from jifen.api.parser import Blueprint
from jifen.api.ratelimit import KeyRateLimits
from jifen.audit import Actor
from jifen.db import set_tenant
from jifen.errors import Forbidden, JifenError
from jifen.i18n import N_
from jifen.tenants import apikeys
from jifen.tenants.service import TenantView
from jifen.web import WRITE_METHODS, db_session, request_actor, services, set_tenant_locale


class UnsupportedMediaType(JifenError):
    code = "unsupported_media_type"
    status = 415
    message = N_("Send the body as JSON with Content-Type: application/json.")


BEARER: dict[str, list[str]] = {"bearerAuth": []}
IDEMPOTENCY_KEY_DOC = (
    "Retry-safe writes (1-255 printable ASCII characters, remembered per tenant for at"
    " least 7 days). A repeat with the same key and body changes nothing and returns the"
    " first successful response again, with the header `Idempotent-Replayed: true`; a"
    " failed request (4xx, 5xx) stores nothing, so its key may be retried. A repeat that"
    " arrives while the first is still being processed waits for it (a few seconds at"
    " most) and then replays its answer; if the first is still running when the wait runs"
    " out, the repeat is 409 `idempotency_in_progress` and may be retried. The same key"
    " with another body or on another route is 409 `idempotency_mismatch`."
)
# OpenAPI documentation of a read and of a write endpoint: both take a key, so both may
# be refused for the key's rate (components/responses/RateLimited, see jifen.api.ratelimit).
KEYED_RESPONSES = {"429": "RateLimited"}
READ_DOC = {"security": [BEARER], "responses": KEYED_RESPONSES}
WRITE_DOC = {
    "security": [BEARER],
    "responses": KEYED_RESPONSES,
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": idempotency.MAX_KEY_LENGTH},
            "description": IDEMPOTENCY_KEY_DOC,
        }
    ],
}


def secured_blueprint(name: str, import_name: str, **kwargs: Any) -> Blueprint:
    blp = Blueprint(name, import_name, **kwargs)
    blp.before_request(_authenticate)
    blp.after_request(_remember_response)
    return blp


def rate_limits() -> KeyRateLimits:
    limits: KeyRateLimits = current_app.extensions["jifen.rate_limits"]
    return limits


def tenant() -> TenantView:
    caller_tenant: TenantView = g.caller.tenant
    return caller_tenant


def actor() -> Actor:
    return request_actor("api_key", str(g.caller.key_id))


def require_scope(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse the call unless the API key has `scope`."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if scope not in g.caller.scopes:
                raise Forbidden(
                    N_("This API key lacks the scope '%(scope)s'."),
                    params={"scope": scope},
                    details={"scope": scope},
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _authenticate() -> Response | tuple[Any, int] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise apikeys.InvalidApiKey()
    svc = services()
    session = db_session()
    g.caller = apikeys.authenticate(session, token.strip(), clock=svc.clock, keyring=svc.keyring)
    set_tenant_locale(g.caller.tenant.locale)  # a refusal from here on reads in it
    rate_limits().hit(g.caller.key_id, g.caller.rate_limit)
    set_tenant(session, g.caller.tenant.id)
    if request.method in WRITE_METHODS:
        if request.content_length and not request.is_json:
            raise UnsupportedMediaType()
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            return _claim(idempotency.check_key(key))
    return None


def _claim(key: str) -> tuple[Any, int] | None:
    svc = services()
    stored = idempotency.claim(
        db_session(),
        tenant_id=g.caller.tenant.id,
        key=key,
        method=request.method,
        route=request.path,
        fingerprint=idempotency.request_hash(request.method, request.path, request.get_data()),
        now=svc.clock.now(),
        wait=svc.settings.idempotency_wait,
    )
    if stored is not None:
        g.idempotent_replay = True
        return stored.body, stored.status
    g.idempotency_key = key
    return None


def keep_secret(*fields: str) -> None:
    """This answer's `fields` (a secret shown once) are left out of the answer stored for
    a replay: a repeat with the same Idempotency-Key answers without them."""
    g.secret_fields = fields


def _remember_response(response: Response) -> Response:
    key = g.pop("idempotency_key", None)
    if key is not None and response.status_code < 400:
        body = response.get_json()
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in g.get("secret_fields", ())}
        idempotency.complete(db_session(), key, response.status_code, body)
    if g.pop("idempotent_replay", False):
        response.headers["Idempotent-Replayed"] = "true"
    return response
