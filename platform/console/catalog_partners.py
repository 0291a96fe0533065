"""Partner brands that fund co-branded items: their budgets and what redemptions have
used of them, a new partner, and a budget raised or lowered (never below what is
used)."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.catalog_inputs import Reader, problems_in, refusal_problems
from jifen.console.pages import bp, page_language, render
from jifen.errors import JifenError
from jifen.i18n import N_, Message, format_money, translate
from jifen.mall import partners, schemas
from jifen.mall.models import Partner
from jifen.tenants import roles
from jifen.tenants.models import Tenant
from jifen.tenants.service import CURRENCIES
from jifen.web import db_session, request_actor, services

PAGE = 25


def _tenant() -> Tenant:
    tenant = current().tenant
    assert tenant is not None
    return tenant


def _reader() -> Reader:
    tenant = _tenant()
    return Reader(request.form, zone=ZoneInfo(tenant.timezone), currency=tenant.currency)


def _actor() -> Any:
    return request_actor("user", str(current().user.id))


def _money(minor: int, currency: str) -> str:
    return format_money(minor, currency, page_language())


@bp.route("/catalog/partners")
@staff_page(roles.VIEW)
def catalog_partners() -> str:
    """The partners by name, with their budgets."""
    cursor = request.args.get("cursor", "")[:512] or None
    rows, next_cursor = partners.list_partners(db_session(), limit=PAGE, cursor=cursor)
    return render(
        "console/catalog_partners.html",
        partners=[_row(p) for p in rows],
        next_cursor=next_cursor,
        can_configure=current().can(roles.CONFIGURE),
    )


def _row(partner: Partner) -> dict[str, Any]:
    return {
        "id": partner.id,
        "name": partner.name,
        "currency": partner.currency,
        "budget": _money(partner.budget, partner.currency),
        "used": _money(partner.used, partner.currency),
        "left": _money(partner.budget - partner.used, partner.currency),
    }


@bp.route("/catalog/partners/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_new_partner() -> tuple[str, int] | Response:
    """A partner and its first budget, in its own currency."""
    values = {"name": "", "currency": _tenant().currency, "budget": ""}
    problems: dict[str, str] = {}
    if request.method == "POST":
        reader = _reader()
        name = reader.text("name")
        currency = reader.choice("currency", CURRENCIES)
        budget = reader.money("budget", currency) if currency else None
        raw: dict[str, Any] = {"currency": currency or ""}
        raw |= {"name": name} if name.strip() else {}
        raw |= {"budget": budget} if budget is not None else {}
        try:
            data = schemas.PartnerIn().load(raw)
        except ValidationError as refused:
            problems = problems_in(refused.messages)
        if budget is not None and budget < 0:
            problems["budget"] = translate(
                N_("Must be greater than or equal to %(min)s."), {"min": 0}
            )
        problems |= reader.problems
        values = {key: str(value) for key, value in reader.values.items()}
        if not problems:
            made = partners.create_partner(
                db_session(), _tenant().id, data, actor=_actor(), clock=services().clock
            )
            flash(translate(N_("The partner %(name)s is added."), {"name": made.name}))
            return redirect(url_for("console.catalog_partners"), 303)
    return render(
        "console/catalog_partner.html",
        partner=None,
        values=values,
        problems=problems,
        currencies=[(c, c) for c in sorted(CURRENCIES)],
    ), (422 if problems else 200)


@bp.route("/catalog/partners/<uuid:partner_id>", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_partner(partner_id: uuid.UUID) -> tuple[str, int] | Response:
    """A partner's budget: raised, or lowered to no less than what is used."""
    session = db_session()
    partner = partners.get_partner(session, partner_id)
    values = {"change": ""}
    problems: dict[str, str] = {}
    if request.method == "POST":
        reader = _reader()
        change = reader.money("change", partner.currency)
        if change is None and not reader.problems:
            reader.refuse("change", Message(N_("Missing data for required field.")))
        if change is not None:
            try:
                partners.change_budget(
                    session, partner.id, change, actor=_actor(), clock=services().clock
                )
            except JifenError as refused:
                problems = refusal_problems(refused, default_field="change")
        problems = reader.problems | problems
        values = {"change": reader.values.get("change", "")}
        if not problems:
            flash(translate(N_("The budget of %(name)s is saved."), {"name": partner.name}))
            return redirect(url_for("console.catalog_partners"), 303)
    return render(
        "console/catalog_partner.html",
        partner=_row(partner),
        values=values,
        problems=problems,
        currencies=[],
    ), (422 if problems else 200)
