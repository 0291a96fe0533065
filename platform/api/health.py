"""/api/v1/health: is the database (and Redis, when configured) answering?"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import text

from jifen.api.parser import Blueprint
from jifen.web import services

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness.")


class Health(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/health")
@blp.response(200, Health())
@blp.alt_response(503, schema=Health())
def health() -> Any:
    """`ok` when every dependency answers; 503 naming the one that does not."""
    svc = services()
    checks: dict[str, str] = {}
    try:
        with svc.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not healthy"; the body says which
        checks["database"] = f"error: {type(error).__name__}"
    if svc.settings.redis_url:
        from redis import Redis

        try:
            Redis.from_url(svc.settings.redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return {"status": "ok" if healthy else "unavailable", "checks": checks}, (
        200 if healthy else 503
    )
