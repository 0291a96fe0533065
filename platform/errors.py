"""Domain errors: values with a stable code that callers can act on.

Services raise these; the web layer maps them to HTTP in one place (`jifen.api.errors`)
as `{code, message, details}`. A message is a message id (see `jifen.i18n`), with its
`params`, translated into the reader's language when the error is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jifen.i18n import N_, as_written, translate
from jifen.types import MAX_SAFE_INTEGER


class JifenError(Exception):
    """Base of every domain error. Subclasses set `code`, `status` and `message`; a
    message given when raising is a message id too, its `%(name)s` parameters in `params`."""

    code = "error"
    status = 400
    message = N_("The request could not be completed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        # The id and its parameters, translated when shown; `message` reads as written.
        self.message_id, self.params = message or self.message, dict(params or {})
        self.message = as_written(self.message_id, self.params)
        super().__init__(self.message)
        self.details = details if details is not None else {}

    def translated(self) -> str:
        """The message in the reader's language."""
        return translate(self.message_id, self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.translated(), "details": self.details}


class NotFound(JifenError):
    """Also what another tenant's object looks like: no existence oracle."""

    code = "not_found"
    status = 404
    message = N_("Not found.")


class Conflict(JifenError):
    code = "conflict"
    status = 409
    message = N_("The request conflicts with the current state.")


class ValidationFailed(JifenError):
    code = "validation_error"
    status = 422
    message = N_("The request is not valid.")


class Forbidden(JifenError):
    code = "forbidden"
    status = 403
    message = N_("Not allowed.")


class TotalTooLarge(ValidationFailed):
    """A running total (a wallet's balance, held or debt, a product's stock, a partner's
    budget) would pass 2^53 - 1, the largest integer every JSON client reads exactly;
    the databases' 64-bit columns would overflow not far beyond it."""

    code = "total_too_large"
    message = N_("That would take a running total past 2^53 - 1.")


def refuse_total_too_large(name: str, total: int) -> None:
    """Raise TotalTooLarge if `total`, the running total called `name`, passes 2^53 - 1."""
    if total > MAX_SAFE_INTEGER:
        raise TotalTooLarge(details={"total": name, "maximum": MAX_SAFE_INTEGER})
