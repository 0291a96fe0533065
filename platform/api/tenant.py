"""/api/v1/tenant: the calling merchant's own settings (language, time zone, currency,
what members call the points) and the keys its server signs members' sign-in links with."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from jinja2 import TemplateSyntaxError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jifen.api.auth import (
    READ_DOC,
    WRITE_DOC,
    actor,
    keep_secret,
    require_scope,
    secured_blueprint,
    tenant,
)
from jifen.errors import NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.ledger.models import Entry
from jifen.mall.models import Payment
from jifen.members import MemberDay, sign_in_links
from jifen.members import schemas as member_schemas
from jifen.pagination import PageQuery, page
from jifen.rules.models import Event
from jifen.storefront import overrides
from jifen.tenants import schemas, templates
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
        currency, or a theme no plugin installed, is 422 `validation_error` naming the
        field. The currency is fixed
        once points or money have moved (409 `currency_locked`), the time zone once
        members' days have been counted (409 `timezone_locked`). Sending nothing new
        changes nothing."""
        session = db_session()
        if "theme" in changes and changes["theme"] not in current_app.extensions["jifen.themes"]:
            message = Message(N_("No installed theme has this name."))
            raise ValidationFailed(details={"theme": [message]})
        if "sign_in_methods" in changes:  # a set, in a stable order
            methods = changes["sign_in_methods"]
            changes["sign_in_methods"] = [m for m in schemas.SIGN_IN_METHODS if m in methods]
        if changes.get("brand_color"):
            changes["brand_color"] = changes["brand_color"].lower()
        return tenants.update_settings(
            session,
            tenant().id,
            changes,
            actor=actor(),
            clock=services().clock,
            in_use=lambda setting: _in_use(session, setting),
        )


@blp.route("/tenant/sign-in-keys")
class SignInKeys(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, member_schemas.SignInKeyPage())
    @require_scope("tenant:read")
    def get(self, query: dict[str, Any]) -> Any:
        """The keys members' sign-in links are signed with, revoked ones too (no secrets)."""
        return page(*sign_in_links.keys(db_session(), **query))

    @blp.doc(**WRITE_DOC)
    @blp.response(201, member_schemas.NewSignInKey())
    @require_scope("tenant:write")
    def post(self) -> sign_in_links.NewKey:
        """A new key, its secret shown in this answer only (a replay of it, for the same
        `Idempotency-Key`, leaves the secret out). Two may be live at once, so that a key
        is rotated without a gap: make a new one, move the server that signs links to it,
        revoke the old one. A third is 409 `too_many_sign_in_keys`."""
        keep_secret("secret")
        svc = services()
        return sign_in_links.create_key(
            db_session(), tenant().id, actor=actor(), clock=svc.clock, keyring=svc.keyring
        )


@blp.route("/tenant/sign-in-keys/<key_id>:revoke")
class RevokeSignInKey(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, member_schemas.SignInKey())
    @require_scope("tenant:write")
    def post(self, key_id: str) -> Any:
        """Revoke a key: links signed with it open nothing from now on, even unexpired
        ones. Revoking a revoked key changes nothing."""
        return sign_in_links.revoke_key(
            db_session(), tenant().id, key_id, actor=actor(), clock=services().clock
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


@blp.route("/tenant/templates")
class Templates(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.TemplateOverrideOut(many=True))
    @require_scope("tenant:read")
    def get(self) -> Any:
        """The mall's own templates (their sources are not listed)."""
        return templates.overrides(db_session())


@blp.route("/tenant/templates/<template:name>")
class TemplateByName(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.TemplateOverrideIn())
    @blp.response(200, schemas.TemplateOverrideOut())
    @require_scope("tenant:write")
    def put(self, data: dict[str, Any], name: str) -> Any:
        """Replace one of the theme's templates (`home.html`, `product.html`,
        `layout.html`...) for this mall. It renders in Jinja's sandbox, with the page's
        context; `{% extends "theme:home.html" %}` extends the theme's page it replaces. A name
        the themes do not have is 404; a template that does not compile is 422
        `validation_error`. Should it fail when a page renders, the theme's template is
        shown instead."""
        if name not in overrides.templates():
            raise NotFound("template", name)
        try:
            current_app.extensions["jifen.override_env"].parse(data["source"])
        except TemplateSyntaxError as error:
            problem = Message(
                N_("Line %(line)s: %(problem)s"), {"line": error.lineno, "problem": error.message}
            )
            raise ValidationFailed(details={"source": [problem]}) from None
        return templates.put(
            db_session(), tenant().id, name, data["source"], actor=actor(), clock=services().clock
        )

    @blp.doc(**WRITE_DOC)
    @blp.response(204)
    @require_scope("tenant:write")
    def delete(self, name: str) -> None:
        """Go back to the theme's template."""
        templates.remove(db_session(), tenant().id, name, actor=actor(), clock=services().clock)
