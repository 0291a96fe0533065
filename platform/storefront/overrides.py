"""Tenants' own templates: a tenant may replace any of its theme's templates (`PUT
/api/v1/tenant/templates/<name>`). They render in Jinja's sandbox, under names that
carry the tenant and the versions of its overrides (jifen.theming.override_name), and a
page whose override fails (an error, or something the sandbox refuses) is drawn with the
theme's own template instead, the failure logged for the merchant's developers."""

from __future__ import annotations

import logging
import uuid

from flask import current_app
from sqlalchemy import select

from jifen.tenants.models import TemplateOverride
from jifen.web import db_session, services

log = logging.getLogger(__name__)


def versions_of() -> dict[str, int]:
    """The request's tenant's overridden templates and their versions (usually none)."""
    rows = db_session().execute(select(TemplateOverride.name, TemplateOverride.version))
    return {name: version for name, version in rows}


def fetch(tenant_id: str, name: str, version: int) -> str | None:
    """An override's source at `version` (None once it has changed or gone: the theme's
    template stands in for the one request that still names it). Called by the loader,
    outside the request's session, once per compiled version."""
    with services().db.session(tenant_id=uuid.UUID(tenant_id)) as session:
        row = session.get(TemplateOverride, (uuid.UUID(tenant_id), name))
        return row.source if row is not None and row.version == version else None


def templates() -> list[str]:
    """The names a tenant may override: the base theme's pages."""
    themes = current_app.extensions["jifen.themes"]
    folder = themes.get("base").templates
    return sorted(path.name for path in folder.glob("*.html"))
