"""/api/v1/checkout: points at the merchant's own checkout (积分抵扣现金): quote,
authorize, capture, void, refund."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.mall import checkout, schemas
from jifen.web import db_session, services

blp = secured_blueprint(
    "checkout", __name__, url_prefix="/api/v1/checkout", description="Points at checkout."
)
READ, WRITE = require_scope("points:read"), require_scope("points:write")


@blp.route("/quote")
class Quote(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.CheckoutQuoteIn())
    @blp.response(200, schemas.CheckoutQuoteOut())
    @READ
    def post(self, data: dict[str, Any]) -> Any:
        """The most points the member may use on this order, and what they take off."""
        return checkout.quote(
            db_session(),
            services(),
            tenant().id,
            data["member_id"],
            data["order_amount"],
            data["currency"] or tenant().currency,
        )


@blp.route("/authorizations")
class Authorizations(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.AuthorizeIn())
    @blp.response(201, schemas.AuthorizationOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Hold points for a checkout order; the same order again answers alike."""
        return checkout.authorize(
            db_session(),
            services(),
            tenant().id,
            data["member_id"],
            data["points"],
            order_ref=data["order_ref"],
            order_amount=data["order_amount"],
            currency=data["currency"] or tenant().currency,
            actor=actor(),
        )


@blp.route("/authorizations/<uuid:authorization_id>")
class AuthorizationById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.AuthorizationOut())
    @READ
    def get(self, authorization_id: uuid.UUID) -> Any:
        """An authorization and what became of it."""
        session = db_session()
        return checkout.view(session, checkout.get_authorization(session, authorization_id))


@blp.route("/authorizations/<uuid:authorization_id>:capture")
class Capture(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.PointsPart())
    @blp.response(200, schemas.AuthorizationOut())
    @WRITE
    def post(self, data: dict[str, Any], authorization_id: uuid.UUID) -> Any:
        """Spend the held points (or some; the rest go back): the order is paid."""
        return checkout.capture(
            db_session(), services(), authorization_id, data["points"], actor=actor()
        )


@blp.route("/authorizations/<uuid:authorization_id>:void")
class Void(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.AuthorizationOut())
    @WRITE
    def post(self, authorization_id: uuid.UUID) -> Any:
        """Release the held points: the order was abandoned."""
        return checkout.void(db_session(), services(), authorization_id, actor=actor())


@blp.route("/authorizations/<uuid:authorization_id>:refund")
class Refund(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.PointsPart())
    @blp.response(200, schemas.AuthorizationOut())
    @WRITE
    def post(self, data: dict[str, Any], authorization_id: uuid.UUID) -> Any:
        """Give captured points back (all, or some) to the lots they came from."""
        return checkout.refund(
            db_session(), services(), authorization_id, data["points"], actor=actor()
        )
