"""The earn engine's refusals, each with a stable code."""

from __future__ import annotations

from jifen.errors import Conflict, JifenError, ValidationFailed
from jifen.i18n import N_


class UnknownEventKind(ValidationFailed):
    code = "unknown_event_kind"
    message = N_("This event kind is neither built in nor defined by the merchant.")


class UnknownMember(ValidationFailed):
    code = "unknown_member"
    message = N_("No member with this id or external_id; the merchant's policy rejects it.")


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


class ReferralNotFound(Conflict):
    code = "referral_not_found"
    message = N_("No such referral: the invitee was not registered as referred by this inviter.")


class ReferralStageDone(Conflict):
    code = "referral_stage_done"
    message = N_("This referral has already reached that stage.")


class UnknownOrder(ValidationFailed):
    code = "unknown_order"
    message = N_("No purchase event with this order id.")


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
