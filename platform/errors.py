"""Domain errors: values with a stable code that callers can act on.

Services raise these; the web layer maps them to HTTP in one place (`jifen.api.errors`)
as `{code, message, details}`.
"""

from __future__ import annotations

from typing import Any

from jifen.types import MAX_SAFE_INTEGER


class JifenError(Exception):
    """Base of every domain error. Subclasses set `code`, `status` and `message`."""

    code = "error"
    status = 400
    message = "The request could not be completed."
    # Seconds after which a retry may succeed (a 429's or 503's Retry-After), if known.
    retry_after: int | None = None

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.details = details if details is not None else {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class Conflict(JifenError):
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state."


class ValidationFailed(JifenError):
    code = "validation_error"
    status = 422
    message = "The request is not valid."


class NotFound(JifenError):
    """No `resource` ("member", "order"...) with the id `key` in the session's tenant.
    Also what another tenant's object looks like: no existence oracle, so the details
    name only the kind of thing, never the id.

    Every lookup raises this, whoever named the id. The API answers it as 404
    `not_found` when the id is in the URL path, and as `Unknown` (422
    `unknown_<resource>`) when the request's body or query named it.
    """

    code = "not_found"
    status = 404

    def __init__(self, resource: str, key: object, message: str | None = None) -> None:
        super().__init__(message or f"No such {resource}.", details={"resource": resource})
        self.resource = resource
        self.key = key

    def as_unknown(self) -> Unknown:
        """This error as one about a reference in the request's body or query."""
        return Unknown(self.resource, self.message, id=str(self.key))


class Unknown(ValidationFailed):
    """The request's body or query names a `resource` the tenant does not have (or names
    it by something no such thing carries): 422 `unknown_<resource>`. The details name
    the resource and echo what the request named it by."""

    def __init__(self, resource: str, message: str | None = None, **given: Any) -> None:
        super().__init__(message or f"No such {resource}.", details={"resource": resource, **given})
        self.code = f"unknown_{resource}"
        self.resource = resource


class Forbidden(JifenError):
    code = "forbidden"
    status = 403
    message = "Not allowed."


class TotalTooLarge(ValidationFailed):
    """A running total (a wallet's balance, held or debt, a product's stock, a partner's
    budget) would pass 2^53 - 1, the largest integer every JSON client reads exactly;
    the databases' 64-bit columns would overflow not far beyond it."""

    code = "total_too_large"
    message = "That would take a running total past 2^53 - 1."


def refuse_total_too_large(name: str, total: int) -> None:
    """Raise TotalTooLarge if `total`, the running total called `name`, passes 2^53 - 1."""
    if total > MAX_SAFE_INTEGER:
        raise TotalTooLarge(details={"total": name, "maximum": MAX_SAFE_INTEGER})
