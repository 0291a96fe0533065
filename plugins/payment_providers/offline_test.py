"""A fake payment gateway for the demo and for tests: no money moves. Every payment
succeeds at once and every refund goes through. Never for a real merchant."""

from __future__ import annotations

from jifen.hookimpl import hookimpl
from jifen.mall.payments import PaymentProvider, PaymentRequest, ProviderAnswer


class OfflineTestProvider:
    name = "offline_test"
    title = "Offline test gateway (no money moves)"

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        return ProviderAnswer(status="succeeded", reference=f"offline-test-{request.id}")

    def refund(self, request: PaymentRequest) -> None:
        """Always goes through."""


@hookimpl
def register_payment_providers() -> list[PaymentProvider]:
    return [OfflineTestProvider()]
