"""/api/v1 after-sales: members' requests for help with orders that shipped (asked on the
order's page in the mall), and the merchant's answers, which the member reads there."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint
from jifen.mall import after_sales, schemas
from jifen.pagination import page
from jifen.web import db_session, services

blp = secured_blueprint(
    "after_sales", __name__, url_prefix="/api/v1", description="Members' requests for help."
)
READ, WRITE = require_scope("mall:read"), require_scope("mall:write")


@blp.route("/after-sales")
class AfterSalesRequests(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.AfterSalesQuery(), location="query")
    @blp.response(200, schemas.AfterSalesPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """Requests for help, newest first: by status (`open` waits for your answer), an
        order's, or a member's."""
        return page(*after_sales.search(db_session(), **query))


@blp.route("/after-sales/<uuid:after_sales_id>")
class AfterSalesById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.AfterSalesOut())
    @READ
    def get(self, after_sales_id: uuid.UUID) -> Any:
        """A request for help, with your reply once answered."""
        return after_sales.get_request(db_session(), after_sales_id)


@blp.route("/after-sales/<uuid:after_sales_id>:resolve")
class ResolveAfterSales(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.AfterSalesReply())
    @blp.response(200, schemas.AfterSalesOut())
    @WRITE
    def post(self, data: dict[str, Any], after_sales_id: uuid.UUID) -> Any:
        """You helped (sent the goods again, say): the request is resolved, and the member
        reads `reply` on the order's page. To give the points back, refund the order
        (POST /orders/{id}:refund), which resolves its open request too. A request
        answered already: 409 `after_sales_state_conflict`."""
        return after_sales.resolve(
            db_session(), after_sales_id, data["reply"], actor=actor(), clock=services().clock
        )


@blp.route("/after-sales/<uuid:after_sales_id>:decline")
class DeclineAfterSales(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.AfterSalesReply())
    @blp.response(200, schemas.AfterSalesOut())
    @WRITE
    def post(self, data: dict[str, Any], after_sales_id: uuid.UUID) -> Any:
        """You will not help: the request is declined, and the member reads `reply` (why)
        on the order's page. A request answered already: 409
        `after_sales_state_conflict`."""
        return after_sales.decline(
            db_session(), after_sales_id, data["reply"], actor=actor(), clock=services().clock
        )
