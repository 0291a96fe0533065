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


class NotFound(JifenError):
    """Also what another tenant's object looks like: no existence oracle."""

    code = "not_found"
    status = 404
    message = "Not found."


class Conflict(JifenError):
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state."


class ValidationFailed(JifenError):
    code = "validation_error"
    status = 422
    message = "The request is not valid."


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
