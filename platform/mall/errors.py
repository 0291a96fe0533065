"""The mall's refusals, each with a stable code."""

from __future__ import annotations

from jifen.errors import Conflict, Forbidden, JifenError, ValidationFailed
from jifen.i18n import N_
from jifen.registry import PluginFailed


class CategoryCycle(ValidationFailed):
    code = "category_cycle"
    message = N_("A category cannot be placed under itself or one of its own subcategories.")


class UnknownRedeemMode(ValidationFailed):
    code = "unknown_redeem_mode"
    message = N_("No installed plugin provides this redemption mode.")


class ModeParamsInvalid(ValidationFailed):
    code = "mode_params_invalid"
    message = N_("The product's settings for its redemption mode are not valid.")


class NotListed(Conflict):
    code = "not_listed"
    message = N_("The product is not on sale now.")


class OutOfStock(Conflict):
    code = "out_of_stock"
    message = N_("Not enough stock left.")


class OverLimit(Conflict):
    code = "over_limit"
    message = N_("The member has reached this product's limit.")


class TierRequired(Forbidden):
    code = "tier_required"
    message = N_("This product is for members of a higher tier.")


class AddressRequired(ValidationFailed):
    code = "address_required"
    message = N_("A physical product needs a shipping address.")


class StockBelowZero(Conflict):
    code = "stock_below_zero"
    message = N_("The stock cannot go below zero.")


class OrderStateConflict(Conflict):
    code = "order_state_conflict"
    message = N_("The order cannot do that in its current state.")


class ShipmentsRefused(ValidationFailed):
    """A batch of shipments of which some cannot be made: `details` holds the messages
    of each refused one, by its index in the batch."""

    code = "shipments_refused"
    message = N_("Some of these orders cannot be shipped: none was.")


class NotReviewable(Conflict):
    """An order not delivered (yet), or cancelled or refunded: `details.status` says
    which."""

    code = "order_not_reviewable"
    message = N_("Only an order that was delivered can be reviewed.")


class ReviewExists(Conflict):
    code = "review_exists"
    message = N_("This order has been reviewed already.")


class ReviewStateConflict(Conflict):
    code = "review_state_conflict"
    message = N_("The review cannot do that in its current state.")


class NotShipped(Conflict):
    code = "order_not_shipped"
    message = N_("Help with an order can be asked for once its goods have shipped.")


class AfterSalesOpen(Conflict):
    code = "after_sales_open"
    message = N_("This order already has a request for help waiting for an answer.")


class AfterSalesStateConflict(Conflict):
    code = "after_sales_state_conflict"
    message = N_("The after-sales request is closed: it cannot be answered again.")


class CouponNotUsable(Conflict):
    """Expired, void, or already used on another order: `details.reason` says which."""

    code = "coupon_not_usable"
    message = N_("This coupon cannot be used.")


class CouponThresholdNotMet(Conflict):
    code = "coupon_threshold_not_met"
    message = N_("The order is below the coupon's minimum.")


class PartnerBudgetExhausted(Conflict):
    code = "partner_budget_exhausted"
    message = N_("The partner's budget for this item is used up.")


class BudgetBelowUsed(Conflict):
    code = "budget_below_used"
    message = N_("A partner's budget cannot drop below what redemptions have used.")


class PaymentNotPending(Conflict):
    code = "payment_not_pending"
    message = N_("The payment has already been settled.")


class NotificationRejected(Forbidden):
    """A provider's notification whose signature (or content) its provider refused:
    nothing changed."""

    code = "notification_rejected"
    message = N_("The payment notification was refused: its signature does not verify.")


class NotificationFailed(PluginFailed):
    """A payment provider's plugin failed on a notification: it raised, or answered in
    a shape `parse_notification` does not specify. Named like every plugin failure
    (`plugin_failed`, the plugin and the call), but 502: the notification came from
    outside and nothing changed, so the provider sends it again later."""

    status = 502


class NoPaymentPage(JifenError):
    code = "no_payment_page"
    status = 404
    message = N_("This payment provider has no payment page.")


class UnknownPaymentProvider(ValidationFailed):
    code = "unknown_payment_provider"
    message = N_("No installed plugin provides this payment provider.")


class TopupDisabled(Forbidden):
    code = "topup_disabled"
    message = N_("This merchant does not sell points.")


class OverCheckoutLimit(Conflict):
    code = "over_checkout_limit"
    message = N_("More points than this order may use (the merchant's cap, or the balance).")


class NotInSteps(ValidationFailed):
    code = "not_in_steps"
    message = N_("Points are used in multiples of the merchant's step.")


class AuthorizationStateConflict(Conflict):
    code = "authorization_state_conflict"
    message = N_("The authorization cannot do that in its current state.")


class OrderRefTaken(Conflict):
    code = "order_ref_taken"
    message = N_("This checkout order already has an authorization with other terms.")


class FlashSaleOverlap(Conflict):
    code = "flash_sale_overlap"
    message = N_("The product already has a flash sale in that window.")


class FlashSaleEnded(Conflict):
    code = "flash_sale_ended"
    message = N_("This flash sale has ended already.")


class CodesExhausted(Conflict):
    code = "codes_exhausted"
    message = N_("The product's pool of codes is used up.")


class NotVirtual(ValidationFailed):
    code = "not_virtual"
    message = N_("Only virtual products have a pool of codes.")


class UnknownTillService(JifenError):
    """A redeem mode asked its till for a service no installed plugin offers (a bug in
    the mode, or a plugin it needs is missing: the order fails and nothing is kept)."""

    code = "unknown_till_service"
    status = 500
    message = N_("The redeem mode asked for a service the till does not offer.")
