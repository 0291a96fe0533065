"""Fake payment gateways: the one external boundary the mall's tests fake. Everything
else in these tests is real (the database, the relay, the cashier); a gateway is a
payment-provider plugin registered on the test's app (`shop.use_gateway`), and it
records what the platform asked of it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping

from jifen.hookimpl import hookimpl
from jifen.mall.errors import NotificationRejected
from jifen.mall.payments import Notification, PaymentRequest, ProviderAnswer

# The header a fake gateway signs its notifications with (the value is its `secret`).
SIGNATURE = "X-Fake-Signature"


class GatewayBug(Exception):
    """What a gateway's own bug raises."""


class FakeGateway:
    """Answers `outcome` ("pending" by default: the member pays on the gateway, which
    then notifies) with reference `ref-<payment id>` and instructions, failing the first
    `failures` calls of each kind. Notifies results as JSON signed in a header
    (`notification`); `parse_notification` reads them."""

    title = "Fake gateway"

    def __init__(self, name: str, *, outcome: str = "pending", failures: int = 0) -> None:
        self.name = name
        self.outcome = outcome
        self.failures = failures
        self.secret = f"secret-of-{name}"
        self.started: list[uuid.UUID] = []
        self.refunds: list[str] = []

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        self.started.append(request.id)
        if len(self.started) <= self.failures:
            raise ConnectionError("the gateway timed out")
        return ProviderAnswer(
            status=self.outcome,
            reference=f"ref-{request.id}",
            instructions=f"Pay on the fake gateway: {request.id}",
        )

    def refund(self, request: PaymentRequest) -> None:
        self.refunds.append(request.refund_key)
        if len(self.refunds) <= self.failures:
            raise TimeoutError("no answer after the refund was sent")

    def notification(
        self, payment_id: str | uuid.UUID, outcome: str, reference: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body of the gateway's signed notification."""
        body = {"payment_id": str(payment_id), "outcome": outcome, "reference": reference}
        headers = {SIGNATURE: self.secret, "Content-Type": "application/json"}
        return headers, json.dumps(body).encode()

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        if headers.get(SIGNATURE) != self.secret:
            raise NotificationRejected()
        try:
            fields = json.loads(body)
            return Notification(
                uuid.UUID(fields["payment_id"]), fields["outcome"], fields["reference"]
            )
        except (ValueError, TypeError, KeyError):
            raise NotificationRejected() from None

    @hookimpl
    def register_payment_providers(self) -> list:
        return [self]


class HangingGateway(FakeGateway):
    """A gateway whose `start` hangs until the test lets it go (`go_on`)."""

    def __init__(self, name: str = "hanging_test") -> None:
        super().__init__(name)
        self.entered = threading.Event()
        self.go_on = threading.Event()

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        self.entered.set()
        assert self.go_on.wait(30)
        return super().start(request)


class InstantGateway(FakeGateway):
    """A gateway that settles every payment at once, as it is told: "succeeded" or
    "failed"."""

    title = "Settles at once"

    def __init__(self, outcome: str) -> None:
        super().__init__(f"instant_{outcome}", outcome=outcome)

    def refund(self, request: PaymentRequest) -> None:
        assert self.outcome == "succeeded", "nothing was paid"
        super().refund(request)


class FragileGateway(FakeGateway):
    """A gateway that settles at once, or fails where it is told to (`fails_in`: a
    method's name): with its own bug, or, with `fails_in = "shape"`, by answering
    `start` and `parse_notification` in shapes their contract does not allow."""

    title = "Fragile gateway"

    def __init__(self) -> None:
        super().__init__("fragile_gateway", outcome="succeeded")
        self.fails_in: str | None = None

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        if self.fails_in == "start":
            raise GatewayBug("the gateway's own bug")
        if self.fails_in == "shape":
            return {"status": "succeeded"}  # type: ignore[return-value]
        return super().start(request)

    def refund(self, request: PaymentRequest) -> None:
        if self.fails_in == "refund":
            raise GatewayBug("the gateway's own bug")

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        if self.fails_in == "parse_notification":
            raise GatewayBug("the gateway's own bug")
        notice = super().parse_notification(headers, body)
        if self.fails_in == "shape":
            return (notice.payment_id, notice.outcome)  # type: ignore[return-value]
        return notice
