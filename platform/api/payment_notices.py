"""/api/v1/payments/notify/<provider>: where payment providers notify results. No API
key: the provider signs its notification and verifies its own signature."""

from __future__ import annotations

from typing import Any

from flask import request

from jifen.api.parser import PAYLOAD_TOO_LARGE, Blueprint
from jifen.mall import cashier, schemas
from jifen.web import db_session, services

blp = Blueprint(
    "payment_notices",
    __name__,
    url_prefix="/api/v1",
    description="Payment providers' notifications (signed by the provider; no API key).",
)


@blp.route("/payments/notify/<provider>", methods=["POST"])
@blp.response(200, schemas.PaymentOut())
# A body in the provider's format, which no schema describes: its size limit still holds.
@blp.doc(responses={"413": PAYLOAD_TOO_LARGE})
def notify(provider: str) -> Any:
    """A provider's notification of a payment's result, in the provider's own format.
    The provider verifies its signature (403 `notification_rejected` when it does not
    verify: nothing changes); then the payment settles, moving the order or top-up
    that waits on it. A late or repeated notification answers 200 and changes nothing;
    an unknown payment is 422 `unknown_payment`."""
    return cashier.notified(
        db_session(), services(), provider, dict(request.headers), request.get_data()
    )
