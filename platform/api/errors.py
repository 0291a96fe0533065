"""Errors as JSON `{code, message, details}` with a stable code, for every API path.

Domain errors carry their own code; HTTP errors raised by Flask, webargs or flask-smorest
are given one here. A lookup that finds nothing is answered by who named the id: 404
`not_found` with `details.resource` for an id in the URL path, 422 `unknown_<resource>`
for one in the body or query (see `answered`). Pages outside /api keep Flask's HTML
errors. No client input may produce a 500; if one slips through, the body still says
nothing of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from jifen.errors import JifenError, NotFound
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, translate

log = logging.getLogger(__name__)

ERROR = N_("The request could not be completed.")
INTERNAL_ERROR = N_("Internal error.")
MALFORMED_JSON = N_("The body is not valid JSON.")

HTTP_CODES = {
    400: ("bad_request", N_("The request could not be understood.")),
    401: ("unauthorized", N_("Authentication is required.")),
    403: ("forbidden", N_("Not allowed.")),
    404: ("not_found", N_("Not found.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    409: ("conflict", N_("The request conflicts with the current state.")),
    413: ("payload_too_large", N_("The body is too large.")),
    415: ("unsupported_media_type", N_("This media type is not supported.")),
    422: ("validation_error", N_("The request is not valid.")),
    429: ("rate_limited", N_("Too many requests; retry later.")),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class Error(Schema):
    """Every API error: a stable machine-readable code, a message, and details."""

    code = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(
        required=True,
        metadata={
            "description": "For people, in the reader's language (`Accept-Language`, else"
            " the merchant's locale); act on `code`, which never changes with it."
        },
    )
    details = fields.Raw(
        metadata={
            "description": "Field errors (each field's messages, in the reader's language)"
            " or context, by code."
        }
    )


class JifenApi(Api):
    """flask-smorest's Api with Jifen's error body."""

    ERROR_SCHEMA = Error

    def handle_http_exception(self, error: HTTPException) -> Any:
        if not is_api_request():
            return error
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors") or {}
        details = messages.get("json", messages) if isinstance(messages, dict) else {}
        body = {
            "code": "internal_error" if code >= 500 else "error",
            "message": translate(INTERNAL_ERROR if code >= 500 else ERROR),
            "details": rendered(field_messages(details)),
        }
        if code in HTTP_CODES:
            body["code"], message = HTTP_CODES[code]
            body["message"] = translate(message)
        if code == 400 and "Invalid JSON body." in str(messages):
            body.update(code="malformed_json", message=translate(MALFORMED_JSON), details={})
        if code >= 500:
            body["details"] = {}
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return body, code, headers


def answered(error: JifenError) -> JifenError:
    """The error as this API request answers it. Services look things up the same way
    whoever named the id, so a NotFound whose id the URL path does not carry was named
    by the request's body or query: it is that reference which is unknown (422)."""
    if isinstance(error, NotFound) and not _in_path(error.key):
        return error.as_unknown()
    return error


def _in_path(key: object) -> bool:
    return str(key) in {str(value) for value in (request.view_args or {}).values()}


def handle_domain_error(error: JifenError) -> Any:
    if is_api_request():
        error = answered(error)
    if error.status >= 500:
        log.error("domain error surfaced as %s: %s", error.status, error.code, exc_info=error)
    if is_api_request():
        # RFC 9110: a 401 names the scheme the client should use.
        headers = {"WWW-Authenticate": 'Bearer realm="jifen"'} if error.status == 401 else {}
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        return error.to_dict(), error.status, headers
    return error.translated(), error.status


def handle_unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return error
    log.exception("unhandled error")
    if is_api_request():
        return {"code": "internal_error", "message": translate(INTERNAL_ERROR), "details": {}}, 500
    return translate(INTERNAL_ERROR), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(JifenError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
