"""Payment pages: a provider's own page for a payment, at `/pay/<provider>/<payment id>`
(the provider's name with "-" for "_"), rendered by the provider (`payment_page`). The
payment's id is the page's only key, as in a gateway's pay link."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort

from jifen.db import cross_tenant
from jifen.mall import payments
from jifen.mall.errors import NoPaymentPage
from jifen.tenants.models import Tenant
from jifen.web import services

bp = Blueprint("pay", __name__)


@bp.route("/pay/<slug>/<uuid:payment_id>")
def payment_page(slug: str, payment_id: uuid.UUID) -> str:
    """The provider's page for the payment; 404 for another provider's payment, or a
    provider without a page."""
    provider = slug.replace("-", "_")
    # The request's session may have read already (as the app role): the payment is found
    # in a short session of the operator's.
    with (
        services().db.session() as session,
        cross_tenant(session, "a payment page, found by its payment"),
    ):
        payment = payments.find(session, payment_id)
        tenant = session.get(Tenant, payment.tenant_id) if payment is not None else None
    if payment is None or tenant is None or payment.provider != provider:
        abort(404)
    try:
        return services().payment_providers.page(
            provider, payments.request_of(payment), tenant.locale
        )
    except NoPaymentPage:
        abort(404)
