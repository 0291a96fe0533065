"""The ledger's refusals. Each leaves nothing posted: the caller's transaction rolls back."""

from __future__ import annotations

from jifen.errors import Conflict, JifenError, ValidationFailed
from jifen.i18n import N_


class InsufficientPoints(JifenError):
    code = "insufficient_points"
    status = 409
    message = N_("The member does not have enough available points.")


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    message = N_("Amounts are whole points, at least 1 and at most 2^53 - 1.")


class MemberNotActive(JifenError):
    code = "member_not_active"
    status = 409
    message = N_("The member is frozen, erased or merged into another; their points cannot move.")


class HoldNotOpen(Conflict):
    code = "hold_not_open"
    message = N_("The hold has already been captured or released.")


class WrongHoldKind(Conflict):
    code = "wrong_hold_kind"
    message = N_("This operation does not apply to this kind of hold.")


class NotReversible(Conflict):
    code = "not_reversible"
    message = N_("This entry cannot be reversed (it is a reversal, or nothing of it is left).")


class ReversalTooLarge(Conflict):
    code = "reversal_exceeds_entry"
    message = N_("That is more than is left of the entry to reverse.")


class TransferRefused(JifenError):
    code = "transfer_refused"
    status = 409
    message = N_("This transfer is not allowed.")


class ExpiryInPast(ValidationFailed):
    code = "expiry_in_past"
    message = N_("An expiry must lie in the future.")


class ExpiryNotLater(ValidationFailed):
    code = "expiry_not_later"
    message = N_("Extending moves expiry later, never earlier.")
