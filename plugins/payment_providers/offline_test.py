"""A fake payment gateway for the demo and for tests: no money moves. Never for a real
merchant: it is offered only in the embedded mode and in tests.

`start` answers "pending" with instructions naming the gateway's pay / decline page,
`/pay/offline-test/<payment id>`. The page's two buttons post a notification back to
the page (the platform settles it and returns the member to the order; a server may
also post one to `/api/v1/payments/notify/offline_test`), form-encoded as real gateways
post theirs:
`payment_id`, `status` and `sign`, an HMAC-SHA256 over the other fields (`key=value`
joined with `&`, keys sorted) with a key derived from the app's secret key. Refunds
always go through.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment

from jifen.config import Settings
from jifen.hookimpl import hookimpl
from jifen.i18n import format_money
from jifen.mall import (
    OUTCOMES,
    Notification,
    NotificationRejected,
    PaymentProvider,
    PaymentRequest,
    ProviderAnswer,
)

PAGE_PATH = "/pay/offline-test/{payment_id}"

_TEXTS = {
    "zh_CN": {
        "title": "测试支付网关（不会扣款）",
        "pay": "支付",
        "decline": "拒绝",
        "amount": "应付金额",
    },
    "en": {
        "title": "Offline test gateway (no money moves)",
        "pay": "Pay",
        "decline": "Decline",
        "amount": "Amount due",
    },
}

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}</title>
<style>
body { margin: 0; background: #f4f5f7; color: #1f2328; font-family: -apple-system,
  BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
main { max-width: 26rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { font-size: 1.25rem; margin: 0 0 1rem; }
.amount { font-size: 2rem; font-weight: 700; margin: .25rem 0 1.5rem; }
button { display: block; width: 100%; min-height: 3rem; margin: 0 0 .75rem;
  border-radius: 8px; font: inherit; font-size: 1.05rem; border: 1px solid #8c959f;
  background: #fff; color: #1f2328; }
button[value="succeeded"] { background: #1a7f37; border-color: #1a7f37; color: #fff; }
</style></head>
<body><main>
<h1>{{ t.title }}</h1>
<p>{{ t.amount }}</p>
<p class="amount">{{ amount }}</p>
{% for status, label in buttons %}
<form method="post" action="{{ action }}">
{% for name, value in notifications[status].items() %}
<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}
<button type="submit" name="button" value="{{ status }}">{{ label }}</button>
</form>
{% endfor %}
</main></body></html>
"""


class OfflineTestProvider:
    name = "offline_test"
    title = "Offline test gateway (no money moves)"

    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(
            secret_key.encode(), b"jifen offline_test notifications", hashlib.sha256
        ).digest()
        self._page = Environment(autoescape=True).from_string(_PAGE)

    def start(self, request: PaymentRequest) -> ProviderAnswer:
        page = PAGE_PATH.format(payment_id=request.id)
        return ProviderAnswer(
            status="pending",
            reference=self._reference(request.id),
            instructions=f"Pay or decline on the test gateway's page: {page}",
        )

    def refund(self, request: PaymentRequest) -> None:
        """Always goes through."""

    @staticmethod
    def _reference(payment_id: uuid.UUID) -> str:
        return f"offline-test-{payment_id}"

    def _sign(self, fields: Mapping[str, str]) -> str:
        signed = "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "sign")
        return hmac.new(self._key, signed.encode(), hashlib.sha256).hexdigest()

    def notification(self, payment_id: uuid.UUID, status: str) -> dict[str, str]:
        """The signed fields of a notification that the payment `status` ("succeeded"
        or "failed"): what the page's buttons post."""
        fields = {"payment_id": str(payment_id), "status": status}
        return {**fields, "sign": self._sign(fields)}

    def notification_body(self, payment_id: uuid.UUID, status: str) -> bytes:
        """`notification` as the form-encoded body a button posts."""
        return urlencode(self.notification(payment_id, status)).encode()

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """What a signed notification says (the gateway's reference is
        `offline-test-<payment id>`, as `start` answers); `NotificationRejected` when
        its signature does not verify or it names no payment or outcome."""
        posted = {
            key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()
        }
        fields = {key: posted.get(key, "") for key in ("payment_id", "status")}
        if not hmac.compare_digest(self._sign(fields), posted.get("sign", "")):
            raise NotificationRejected()
        if fields["status"] not in OUTCOMES:
            raise NotificationRejected(details={"status": fields["status"]})
        try:
            payment_id = uuid.UUID(fields["payment_id"])
        except ValueError:
            raise NotificationRejected(details={"payment_id": fields["payment_id"]}) from None
        return Notification(payment_id, fields["status"], self._reference(payment_id))

    def payment_page(self, request: PaymentRequest, locale: str) -> str:
        """The pay / decline page, in the merchant's language (zh_CN or en)."""
        lang = locale if locale in _TEXTS else "en"
        texts = _TEXTS[lang]
        return self._page.render(
            lang=lang.replace("_", "-"),
            t=texts,
            amount=format_money(request.amount, request.currency, lang),
            # Posted back to the page: the platform settles it as this provider's
            # notification and returns the member to the mall.
            action=PAGE_PATH.format(payment_id=request.id),
            buttons=[("succeeded", texts["pay"]), ("failed", texts["decline"])],
            notifications={
                status: self.notification(request.id, status) for status in ("succeeded", "failed")
            },
        )


@hookimpl
def register_payment_providers(settings: Settings) -> list[PaymentProvider]:
    # Its page pays anything: only the embedded mode (the demo) and tests offer it, as
    # with the log notifier. A deployment with Redis is taken for a real one.
    if settings.redis_url and not settings.testing:
        return []
    return [OfflineTestProvider(settings.secret_key)]
