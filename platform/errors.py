"""Domain errors: values with a stable code that callers can act on.

Services raise these; the web layer maps them to HTTP in one place (`jifen.api.errors`)
as `{code, message, details}`. A message is a message id (see `jifen.i18n`), with its
`params`, translated into the reader's language when the error is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jifen.field_messages import rendered
from jifen.i18n import N_, as_written, translate
from jifen.types import MAX_SAFE_INTEGER


class JifenError(Exception):
    """Base of every domain error. Subclasses set `code`, `status` and `message`; a
    message given when raising is a message id too, its `%(name)s` parameters in `params`."""

    code = "error"
    status = 400
    message = N_("The request could not be completed.")
    # Seconds after which a retry may succeed (a 429's or 503's Retry-After), if known.
    retry_after: int | None = None

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
        return {
            "code": self.code,
            "message": self.translated(),
            "details": rendered(self.details),
        }


class Conflict(JifenError):
    code = "conflict"
    status = 409
    message = N_("The request conflicts with the current state.")


class ValidationFailed(JifenError):
    code = "validation_error"
    status = 422
    message = N_("The request is not valid.")


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
        super().__init__(
            message or no_such(resource),
            details={"resource": resource},
            params={"resource": resource},
        )
        self.resource = resource
        self.key = key

    def as_unknown(self) -> Unknown:
        """This error as one about a reference in the request's body or query."""
        return Unknown(self.resource, self.message_id, id=str(self.key))


class Unknown(ValidationFailed):
    """The request's body or query names a `resource` the tenant does not have (or names
    it by something no such thing carries): 422 `unknown_<resource>`. The details name
    the resource and echo what the request named it by."""

    def __init__(self, resource: str, message: str | None = None, **given: Any) -> None:
        super().__init__(
            message or no_such(resource),
            details={"resource": resource, **given},
            params={"resource": resource},
        )
        self.code = f"unknown_{resource}"
        self.resource = resource


# "No such <resource>." for each resource the platform looks up, each a message of its
# own so that a catalog can name the thing in its language; any other (an outside
# plugin's) reads "No such <resource>." with the resource as the code names it.
_NO_SUCH: Mapping[str, str] = {
    "address": N_("No such address."),
    "authorization": N_("No such authorization."),
    "category": N_("No such category."),
    "event": N_("No such event."),
    "hold": N_("No such hold."),
    "invite_code": N_("No such invite code."),
    "member": N_("No such member."),
    "merchant": N_("No such merchant."),
    "order": N_("No such order."),
    "partner": N_("No such partner."),
    "payment": N_("No such payment."),
    "product": N_("No such product."),
    "review": N_("No such review."),
    "rule": N_("No such rule."),
    "sign_in_key": N_("No such sign-in key."),
}


def no_such(resource: str) -> str:
    """The message id saying there is no such `resource`."""
    return _NO_SUCH.get(resource, N_("No such %(resource)s."))


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
