"""/api/v1 reviews: members' reviews of what they redeemed, and the merchant's moderation
(publish, reject). Members write them in the mall (see docs/storefront.md)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint
from jifen.mall import reviews, schemas
from jifen.pagination import page
from jifen.web import db_session, services

blp = secured_blueprint(
    "reviews", __name__, url_prefix="/api/v1", description="Members' reviews and moderation."
)
READ, WRITE = require_scope("mall:read"), require_scope("mall:write")


@blp.route("/reviews")
class Reviews(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.ReviewQuery(), location="query")
    @blp.response(200, schemas.ReviewPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """Reviews, newest first: `status=pending` is the moderation queue; a product's
        with `product_id`."""
        return page(*reviews.search_reviews(db_session(), **query))


@blp.route("/reviews/<uuid:review_id>")
class ReviewById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.ReviewOut())
    @READ
    def get(self, review_id: uuid.UUID) -> Any:
        """A review, with who moderated it and when."""
        return reviews.get_review(db_session(), review_id)


@blp.route("/reviews/<uuid:review_id>:publish")
class PublishReview(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.ReviewOut())
    @WRITE
    def post(self, review_id: uuid.UUID) -> Any:
        """Show a pending review on its product's page (your `review` task rules pay its
        member). Any other: 409 `review_state_conflict`."""
        return reviews.publish(db_session(), review_id, actor=actor(), clock=services().clock)


@blp.route("/reviews/<uuid:review_id>:reject")
class RejectReview(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.ReviewRejection())
    @blp.response(200, schemas.ReviewOut())
    @WRITE
    def post(self, data: dict[str, Any], review_id: uuid.UUID) -> Any:
        """Keep a pending review off the product's page, or take a published one down
        (what its publication earned is taken back); the member reads `reason` beside
        it. A rejected review: 409 `review_state_conflict`."""
        return reviews.reject(
            db_session(), review_id, data["reason"], actor=actor(), clock=services().clock
        )
