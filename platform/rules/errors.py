"""The earn engine's refusals, each with a stable code."""

from __future__ import annotations

from typing import Any

from jifen.errors import Conflict, JifenError, Unknown, ValidationFailed
from jifen.i18n import N_
from jifen.idempotency import IdempotencyMismatch


class UnknownEventKind(ValidationFailed):
    code = "unknown_event_kind"
    message = N_("This event kind is neither built in nor defined by the merchant.")


class EventIdReused(IdempotencyMismatch):
    """An event's id is its idempotency key: the same code as a reused Idempotency-Key,
    in words that name what the caller sent."""

    message = N_("This event id was already recorded for this kind with other content.")


class EventInFuture(ValidationFailed):
    code = "event_in_future"
    message = N_("The event's occurred_at is in the future.")


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    message = N_("The member has already checked in today.")


class SelfReferral(ValidationFailed):
    code = "self_referral"
    message = N_("A member cannot refer themselves.")


class AlreadyReferred(Conflict):
    code = "already_referred"
    message = N_("This member was already referred by someone.")


class ReferralStageDone(Conflict):
    code = "referral_stage_done"
    message = N_("This referral has already reached that stage.")


def unknown_member(**given: Any) -> Unknown:
    """An event's member (by `member_id` or `external_id`) the merchant does not have, and
    its policy does not create."""
    return Unknown(
        "member",
        N_("No member with this id or external_id; the merchant's policy rejects it."),
        **given,
    )


class RefundExceedsOrder(ValidationFailed):
    code = "refund_exceeds_order"
    message = N_("The refund is larger than what is left of the order.")


class RuleFailed(JifenError):
    """A rule plugin raised or returned something invalid; nothing of the event is kept."""

    code = "rule_failed"
    status = 422
    message = N_("An earn rule failed on this event; nothing was posted.")


class UnknownRuleType(ValidationFailed):
    code = "unknown_rule_type"
    message = N_("No installed plugin provides this rule type.")


class RuleConfigInvalid(ValidationFailed):
    code = "rule_config_invalid"
    message = N_("The rule's parameters do not satisfy its type's schema.")


class UnknownRules(ValidationFailed):
    code = "unknown_rules"
    message = N_("The rule's parameters name rules the merchant does not have.")


class RuleConflict(Conflict):
    code = "rule_conflict"
    message = N_("Another active exclusive rule of the same phase overlaps this one.")


class RuleNotEditable(Conflict):
    code = "rule_not_editable"
    message = N_("An archived rule cannot be changed.")
