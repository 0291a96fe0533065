"""The API: flask-smorest with Jifen's errors, its blueprints and locally served docs."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from werkzeug.routing import BaseConverter

from jifen.api import (
    after_sales,
    checkout,
    events,
    health,
    mall,
    members,
    payment_notices,
    points,
    reviews,
    rules,
    tenant,
)
from jifen.api.errors import JifenApi
from jifen.api.parser import PAYLOAD_TOO_LARGE, PAYLOAD_TOO_LARGE_DOC
from jifen.api.ratelimit import RATE_LIMITED_DOC, KeyRateLimits
from jifen.types import RateField

STATIC = Path(__file__).parent / "static"


class TemplateName(BaseConverter):
    """A theme template's name in a path (`home.html`): anything else is no route (404)."""

    regex = r"[a-z][a-z_]{0,58}\.html"


def init_api(app: Flask) -> JifenApi:
    app.config.update(
        API_TITLE="Jifen API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from our own static folder: no CDN (slow or blocked for many merchants).
        OPENAPI_SWAGGER_UI_URL="/api/static/swagger-ui/",
    )
    app.register_blueprint(
        Blueprint("api_static", __name__, static_folder=STATIC, static_url_path="/api/static")
    )
    app.url_map.converters["template"] = TemplateName
    api = JifenApi(app)
    # A rate travels as a decimal string (a float is refused), so it is documented as one;
    # as a "number" its bounds would be strings, which makes the document invalid.
    api.register_field(RateField, "string", "decimal")
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "jf_<prefix>_<secret>"},
    )
    api.spec.components.response("RateLimited", RATE_LIMITED_DOC)
    api.spec.components.response(PAYLOAD_TOO_LARGE, PAYLOAD_TOO_LARGE_DOC)
    settings = app.extensions["jifen.services"].settings
    app.extensions["jifen.rate_limits"] = KeyRateLimits(settings.redis_url, settings.api_rate_limit)
    api.register_blueprint(health.blp)
    api.register_blueprint(members.blp)
    api.register_blueprint(points.blp)
    api.register_blueprint(events.blp)
    api.register_blueprint(rules.blp)
    api.register_blueprint(mall.blp)
    api.register_blueprint(reviews.blp)
    api.register_blueprint(after_sales.blp)
    api.register_blueprint(checkout.blp)
    api.register_blueprint(payment_notices.blp)
    api.register_blueprint(tenant.blp)
    rules.document_rule_types(api, app.extensions["jifen.services"].rule_types)
    app.extensions["jifen.api"] = api
    return api
