"""Manual payments: the member pays at the counter or by transfer, and staff confirm
(or fail) the payment through the API. Refunds are made by hand too."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision

from jifen.hookimpl import hookimpl
from jifen.mall import PaymentProvider, PaymentRequest, ProviderAnswer


class ManualProvider:
    name = "manual"
    title = "Manual (staff confirm)"

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        digits = get_currency_precision(request.currency)
        amount = f"{Decimal(request.amount).scaleb(-digits)} {request.currency}"
        return ProviderAnswer(
            status="pending",
            instructions=f"Pay {amount} at the counter; staff confirm it.",
        )

    def refund(self, request: PaymentRequest) -> None:
        """Nothing to call: staff give the money back by hand."""


@hookimpl
def register_payment_providers() -> list[PaymentProvider]:
    return [ManualProvider()]
