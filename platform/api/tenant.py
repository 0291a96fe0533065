"""/api/v1/tenant: the calling merchant's own settings (language, time zone, currency,
what members call the points)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.ledger.models import Entry
from jifen.mall.models import Payment
from jifen.members import MemberDay
from jifen.rules.models import Event
from jifen.tenants import schemas
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant
from jifen.web import db_session, services

blp = secured_blueprint("tenant", __name__, url_prefix="/api/v1", description="The merchant.")


@blp.route("/tenant")
class TenantSettings(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.TenantSettings())
    @require_scope("tenant:read")
    def get(self) -> Tenant:
        """The merchant's settings."""
        return db_session().get_one(Tenant, tenant().id)

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.TenantSettingsPatch())
    @blp.response(200, schemas.TenantSettings())
    @require_scope("tenant:write")
    def patch(self, changes: dict[str, Any]) -> Tenant:
        """Change some settings. An unknown locale or time zone, or an unsupported
        currency, is 422 `validation_error` naming the field. The currency is fixed
        once points or money have moved (409 `currency_locked`), the time zone once
        members' days have been counted (409 `timezone_locked`). Sending nothing new
        changes nothing."""
        session = db_session()
        return tenants.update_settings(
            session,
            tenant().id,
            changes,
            actor=actor(),
            clock=services().clock,
            in_use=lambda setting: _in_use(session, setting),
        )


def _in_use(session: Session, setting: str) -> bool:
    """Whether the tenant's records depend on the setting's value: amounts in its
    currency (ledger entries, events' money, payments), days in its time zone (members'
    daily totals)."""
    if setting == "currency":
        recorded = [exists().where(Event.amount.is_not(None)), exists(Entry), exists(Payment)]
    elif setting == "timezone":
        recorded = [exists(MemberDay)]
    else:
        return False
    return any(session.scalar(select(found)) for found in recorded)
