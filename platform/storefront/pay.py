"""Payment pages: a provider's own page for a payment, at `/pay/<provider>/<payment id>`
(the provider's name with "-" for "_"), rendered by the provider (`payment_page`). The
payment's id is the page's only key, as in a gateway's pay link. What the page posts back
to the same address is the provider's notification, which the provider verifies (its
signature is the form's authority); the member is then sent back to their order in the
mall, as a gateway's return URL does."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, request, url_for
from werkzeug import Response

from jifen.db import cross_tenant
from jifen.errors import JifenError
from jifen.mall import cashier, payments
from jifen.mall.errors import NoPaymentPage
from jifen.mall.models import Payment
from jifen.tenants.models import Tenant
from jifen.web import db_session, services

bp = Blueprint("pay", __name__)


def _found(slug: str, payment_id: uuid.UUID) -> tuple[Payment, Tenant]:
    """The payment and its tenant; 404 for another provider's payment, or none."""
    # The request's session may have read already (as the app role): the payment is found
    # in a short session of the operator's.
    with (
        services().db.session() as session,
        cross_tenant(session, "a payment page, found by its payment"),
    ):
        payment = payments.find(session, payment_id)
        tenant = session.get(Tenant, payment.tenant_id) if payment is not None else None
    if payment is None or tenant is None or payment.provider != slug.replace("-", "_"):
        abort(404)
    return payment, tenant


@bp.route("/pay/<slug>/<uuid:payment_id>")
def payment_page(slug: str, payment_id: uuid.UUID) -> str:
    """The provider's page for the payment; 404 for another provider's payment, or a
    provider without a page."""
    payment, tenant = _found(slug, payment_id)
    try:
        return services().payment_providers.page(
            payment.provider, payments.request_of(payment), tenant.locale
        )
    except NoPaymentPage:
        abort(404)


@bp.post("/pay/<slug>/<uuid:payment_id>")
def paid_on_page(slug: str, payment_id: uuid.UUID) -> tuple[str, int] | Response:
    """What the provider's page posted (the member paid or declined): settled as the
    provider's notification, and the member sent back to what they paid for."""
    payment, tenant = _found(slug, payment_id)
    providers = services().payment_providers
    if not providers.has_page(payment.provider):
        abort(404)
    headers, body = dict(request.headers), request.get_data()
    try:
        # This page's payment only: a form signed for another is not settled here.
        if providers.parse_notification(payment.provider, headers, body).payment_id != payment.id:
            abort(400)
        cashier.notified(db_session(), services(), payment.provider, headers, body)
    except JifenError as refused:
        return refused.translated(), refused.status
    if payment.order_id is not None:
        back = url_for("storefront.order", slug=tenant.slug, order_id=payment.order_id)
    else:
        back = url_for("storefront.top_up_payment", slug=tenant.slug, payment_id=payment.id)
    return Response(status=303, headers={"Location": back})
