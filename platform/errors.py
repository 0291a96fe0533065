"""Domain errors: values with a stable code that callers can act on.

Services raise these; the web layer maps them to HTTP in one place (`jifen.api.errors`)
as `{code, message, details}`.
"""

from __future__ import annotations

from typing import Any


class JifenError(Exception):
    """Base of every domain error. Subclasses set `code`, `status` and `message`."""

    code = "error"
    status = 400
    message = "The request could not be completed."

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
