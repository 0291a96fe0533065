"""The permission matrix, generated from the URL map: every console route, asked for by
every role of a tenant's staff (and by a browser signed in to nobody), in their own
tenant and, where the route names one, in another's, answered by the server as the
route's declared access says (jifen.console.access), for every method it takes.

A route that declares no access fails the test: a new page cannot forget to say who may
open it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from conftest import sqlite_only
from flask import Flask
from sqlalchemy import select
from test_web import csrf_token, sign_in

from console.orders_world import helped_order
from jifen.audit import SYSTEM
from jifen.console import access
from jifen.ledger import member_imports
from jifen.mall import catalog, partners
from jifen.members import create_member, sign_in_links
from jifen.rules import management
from jifen.tenants import domains, invitations, roles, users
from jifen.tenants.models import ROLES, ApiKey, Tenant

pytestmark = sqlite_only
PASSWORD = "correct horse battery"
OWN, OTHER = "own", "other"
# Each route argument, in the tenant it should name: what the matrix puts in the URL
# (by the argument's name and converter, else by its name alone).
ARGUMENTS: dict[str | tuple[str, str], Callable[[dict[str, str]], str]] = {
    "slug": lambda tenant: tenant["slug"],
    "code_id": lambda tenant: str(uuid.uuid4()),
    "token": lambda tenant: "not-an-invitation",
    "order_id": lambda tenant: tenant["order_id"],
    "after_sales_id": lambda tenant: tenant["after_sales_id"],
    "review_id": lambda tenant: tenant["review_id"],
    "rule_id": lambda tenant: tenant["rule_id"],
    "user_id": lambda tenant: tenant["owner_id"],
    "invitation_id": lambda tenant: tenant["invitation_id"],
    ("key_id", "uuid"): lambda tenant: tenant["api_key_id"],
    "key_id": lambda tenant: tenant["sign_in_key_id"],
    "host": lambda tenant: tenant["host"],
    "product_id": lambda tenant: tenant["product_id"],
    "category_id": lambda tenant: tenant["category_id"],
    "partner_id": lambda tenant: tenant["partner_id"],
    "sale_id": lambda tenant: tenant["sale_id"],
    "member_id": lambda tenant: tenant["member_id"],
    "import_id": lambda tenant: tenant["import_id"],
}
# Arguments that name nothing of a tenant's: a route with only these has nothing of
# another tenant's to ask for.
UNTENANTED = {"code_id", "token"}
# Who may open each console page: the specification the server is held to. A new route
# is added here, with the access its work needs.
ACCESS = {
    "console.login": access.PUBLIC,
    "console.logout": access.PUBLIC,
    "console.language": access.PUBLIC,
    "console.signup": access.PUBLIC,
    "console.forgot_password": access.PUBLIC,
    "console.reset_password": access.PUBLIC,
    "console.verify_email": access.UNVERIFIED,
    "console.resend_code": access.UNVERIFIED,
    "console.home": access.USER,
    "console.choose_tenant": access.USER,
    "console.setup_mall": access.USER,
    "console.slug_check": access.USER,
    "console.setup_look": roles.CONFIGURE,
    "console.look_preview": roles.CONFIGURE,
    "console.setup_points": roles.CONFIGURE,
    "console.setup_keys": roles.MANAGE,
    "console.dashboard": roles.VIEW,
    "console.order_list": roles.VIEW,
    "console.order_page": roles.VIEW,
    "console.export_orders": roles.VIEW,
    "console.ship_order": roles.OPERATE,
    "console.cancel_order": roles.OPERATE,
    "console.refund_order": roles.OPERATE,
    "console.ship_from_file": roles.OPERATE,
    "console.after_sales_list": roles.VIEW,
    "console.answer_after_sales": roles.OPERATE,
    "console.review_list": roles.VIEW,
    "console.publish_review": roles.OPERATE,
    "console.reject_review": roles.OPERATE,
    "console.sign_in_code": access.PUBLIC,
    "console.join": access.PUBLIC,
    "console.security": access.USER,
    "console.security_start": access.USER,
    "console.security_enrol": access.USER,
    "console.security_disable": access.USER,
    "console.security_recovery_codes": access.USER,
    "console.team": roles.VIEW,
    "console.team_invite": roles.MANAGE,
    "console.team_role": roles.MANAGE,
    "console.team_remove": roles.MANAGE,
    "console.team_revoke_invitation": roles.MANAGE,
    "console.team_two_factor": roles.MANAGE,
    "console.api_keys": roles.VIEW,
    "console.api_key_new": roles.CONFIGURE,
    "console.api_key_revoke": roles.CONFIGURE,
    "console.audit_log": roles.CONFIGURE,
    "console.settings": roles.CONFIGURE,
    "console.settings_look": roles.CONFIGURE,
    "console.settings_banners": roles.CONFIGURE,
    "console.settings_tiers": roles.CONFIGURE,
    "console.settings_points": roles.CONFIGURE,
    "console.settings_checkout": roles.CONFIGURE,
    "console.settings_members": roles.CONFIGURE,
    "console.settings_keys": roles.MANAGE,
    "console.settings_key_revoke": roles.MANAGE,
    "console.settings_domains": roles.CONFIGURE,
    "console.settings_domain_check": roles.CONFIGURE,
    "console.settings_domain_remove": roles.CONFIGURE,
    "console.rules": roles.VIEW,
    "console.rule_new": roles.CONFIGURE,
    "console.rule_edit": roles.CONFIGURE,
    "console.rule_status": roles.CONFIGURE,
    "console.rule_priority": roles.CONFIGURE,
    "console.rules_simulate": roles.VIEW,
    "console.rules_backtest": roles.VIEW,
    "console.members_list": roles.VIEW,
    "console.member": roles.VIEW,
    "console.member_adjust": roles.OPERATE,
    "console.member_status": roles.OPERATE,
    "console.members_export": roles.CONFIGURE,
    "console.members_import": roles.CONFIGURE,
    "console.members_import_sample": roles.CONFIGURE,
    "console.members_import_show": roles.CONFIGURE,
    "console.members_import_progress": roles.CONFIGURE,
    "console.members_import_run": roles.CONFIGURE,
    "console.members_import_discard": roles.CONFIGURE,
    "console.catalog_products": roles.VIEW,
    "console.catalog_new_product": roles.CONFIGURE,
    "console.catalog_product": roles.CONFIGURE,
    "console.catalog_product_stock": roles.CONFIGURE,
    "console.catalog_product_status": roles.CONFIGURE,
    "console.catalog_codes": roles.CONFIGURE,
    "console.catalog_categories": roles.VIEW,
    "console.catalog_new_category": roles.CONFIGURE,
    "console.catalog_category": roles.CONFIGURE,
    "console.catalog_category_move": roles.CONFIGURE,
    "console.catalog_coupons": roles.VIEW,
    "console.catalog_lotteries": roles.VIEW,
    "console.catalog_lottery": roles.CONFIGURE,
    "console.catalog_flash_sales": roles.VIEW,
    "console.catalog_new_flash_sale": roles.CONFIGURE,
    "console.catalog_end_flash_sale": roles.CONFIGURE,
    "console.catalog_partners": roles.VIEW,
    "console.catalog_new_partner": roles.CONFIGURE,
    "console.catalog_partner": roles.CONFIGURE,
}
# Routes that end the session they are asked in: asked for last.
LAST = {"console.logout"}


def console_routes(app: Flask) -> list[tuple[str, str, str, list[str]]]:
    """(endpoint, rule, method, argument names) of every console route but its files."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint == "console.static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method, sorted(rule.arguments)))
    return sorted(found, key=lambda route: (route[0] in LAST, route[0], route[2]))


def owned_objects(svc, tenant_id: uuid.UUID) -> dict[str, str]:
    """A member of the tenant and an import of a file, for the routes that name one."""
    with svc.db.transaction(tenant_id=tenant_id) as session:
        member = create_member(
            session,
            tenant_id,
            {"external_id": "perm-member"},
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        checked = member_imports.check_upload(
            session,
            filename="members.csv",
            content=b"external_id\nperm-imported\n",
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
    return {"member_id": str(member.id), "import_id": str(checked.id)}


def a_catalog(svc, tenant_id: uuid.UUID) -> dict[str, str]:
    """A tenant's catalog with one of each thing a console route names: a product (a
    virtual lottery: it has codes and prizes), a category, a partner, a flash sale."""
    prizes = [{"code": "A", "name": "A", "weight": 1}, {"code": "B", "name": "B", "weight": 1}]
    with svc.db.transaction(tenant_id=tenant_id) as session:
        item = catalog.create_product(
            session,
            tenant_id,
            {
                "kind": "virtual",
                "name": "Card",
                "points_price": 10,
                "mode": "lottery",
                "mode_params": {"prizes": prizes, "consolation": "B"},
            },
            modes=svc.redeem_modes,
            tiers=[],
            actor=SYSTEM,
            clock=svc.clock,
        )
        category = catalog.create_category(
            session, tenant_id, {"name": "Shelf"}, actor=SYSTEM, clock=svc.clock
        )
        partner = partners.create_partner(
            session,
            tenant_id,
            {"name": "Brand", "currency": "CNY", "budget": 100},
            actor=SYSTEM,
            clock=svc.clock,
        )
        later = svc.clock.now() + timedelta(days=1)
        window = {"starts_at": later, "ends_at": later + timedelta(hours=1)}
        sale = catalog.create_flash_sale(
            session,
            item.id,
            window | {"points_price": 5, "stock": 1, "limit_per_member": None},
            actor=SYSTEM,
            clock=svc.clock,
        )
    return {
        "product_id": str(item.id),
        "category_id": str(category.id),
        "partner_id": str(partner.id),
        "sale_id": str(sale.id),
    }


@pytest.fixture
def staff(svc, client, make_tenant) -> dict[str, dict[str, str]]:
    """Tenant A with one user in each role, and tenant B with its owner; each tenant
    with an object of each kind a route names by id: an order with a request for help
    and a review, a rule, an invitation waiting, an API key, a sign-in key, a domain
    claimed, a member and an import, and a catalog."""
    found = {}
    for name, tenant_roles in (("a", ROLES), ("b", ("owner",))):
        tenant = make_tenant(f"perm-{name}")
        owned = dict(helped_order(client, tenant))
        owned |= owned_objects(svc, tenant.tenant_id) | a_catalog(svc, tenant.tenant_id)
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            rule = management.create_rule(
                session,
                {"name": "Per yuan", "type": "spend"},
                rule_types=svc.rule_types,
                actor=SYSTEM,
                clock=svc.clock,
            )
            invitation = invitations.invite(
                session,
                tenant.tenant_id,
                email=f"invited@{name}.example",
                role="viewer",
                invited_by=None,
                console_url="http://localhost",
                locale="en",
                actor=SYSTEM,
                clock=svc.clock,
                keyring=svc.keyring,
            )
            api_key = session.scalars(
                select(ApiKey.id).where(ApiKey.tenant_id == tenant.tenant_id)
            ).one()
            sign_in_key = sign_in_links.create_key(
                session, tenant.tenant_id, actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
            )
            host = domains.claim(
                session, tenant.tenant_id, f"shop.perm-{name}.com", actor=SYSTEM, clock=svc.clock
            ).host
        owned |= {
            "rule_id": str(rule.id),
            "invitation_id": str(invitation.id),
            "api_key_id": str(api_key),
            "sign_in_key_id": sign_in_key.id,
            "host": host,
        }
        for role in tenant_roles:
            email = f"{role}@{name}.example"
            with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
                user = users.create_user(
                    session, email=email, name=role, password=PASSWORD, clock=svc.clock
                )
                users.add_staff(
                    session,
                    tenant_id=tenant.tenant_id,
                    user_id=user.id,
                    role=role,
                    actor=SYSTEM,
                    clock=svc.clock,
                )
            if role == "owner":
                owned["owner_id"] = str(user.id)
            found[f"{name}:{role}"] = {"email": email, "slug": tenant.slug, **owned}
    for key, entry in found.items():
        entry["owner_id"] = found[f"{key[0]}:owner"]["owner_id"]
    return found


def expected(access_of: str, role: str | None, method: str, whose: str) -> set[int]:
    """The answers the server may give."""
    signed_out = {302, 303} if method == "GET" else {302, 303, 400}
    if access_of == access.PUBLIC:
        return {200, 302, 303, 400, 404, 422}
    if role is None:
        return signed_out
    if access_of in roles.PERMISSIONS and not roles.allows(role, access_of):
        return {403}  # refused before any id is read: B's ids say no more than A's
    if whose == OTHER:
        return {404}  # another tenant's thing answers as a missing one
    if access_of in (access.USER, access.UNVERIFIED):
        return {200, 302, 303, 400, 404, 422}
    # 409: the form's object is no longer in a state for it (an order refunded earlier
    # in the walk is not cancelled).
    return {200, 302, 303, 400, 409, 422}


def address(rule: str, tenant: dict[str, str]) -> str:
    """The rule's URL with each argument naming `tenant`'s."""

    def value(found: re.Match[str]) -> str:
        converter, name = found["converter"] or "", found["name"]
        make = ARGUMENTS.get((name, converter)) or ARGUMENTS[name]
        return make(tenant)

    return re.sub(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>", value, rule)
    return {200, 302, 303, 400, 422}


@pytest.mark.parametrize("whose", [OWN, OTHER])
@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_console_route_answers_each_role_as_its_access_says(app, client, staff, role, whose):
    me = staff[f"a:{role or 'owner'}"]
    named = staff["b:owner"] if whose == OTHER else me
    login = client.get("/console/login")
    if role is not None:
        assert sign_in(client, login, me["email"], PASSWORD).status_code == 302
    token = csrf_token(client.get("/console/" if role else "/console/login"))
    wrong = []
    for endpoint, rule, method, arguments in console_routes(app):
        declared = getattr(app.view_functions[endpoint], "console_access", None)
        assert declared is not None, f"{endpoint} declares no access"
        assert endpoint in ACCESS, f"{endpoint}: say in ACCESS who may open it"
        access_of = ACCESS[endpoint]
        if whose == OTHER and set(arguments) <= UNTENANTED:
            continue  # nothing in its address names a tenant's
        url = address(rule, named)
        if method == "GET":
            answer = client.get(url)
        else:
            answer = client.post(url, data={"csrf_token": token})
        allowed = expected(access_of, role, method, whose)
        if answer.status_code not in allowed:
            wrong.append(f"{method} {url} ({access_of}): {answer.status_code}, not {allowed}")
    assert not wrong, "\n".join(wrong)


def test_every_route_in_the_specification_exists(app):
    assert {route[0] for route in console_routes(app)} == set(ACCESS)


def test_a_route_refused_to_a_role_changes_nothing(client, staff, svc):
    """A viewer's post to a form of the set-up is refused before it runs."""
    login = client.get("/console/login")
    sign_in(client, login, staff["a:viewer"]["email"], PASSWORD)
    token = csrf_token(client.get("/console/"))
    refused = client.post("/console/setup/look", data={"csrf_token": token, "theme": "night"})
    assert refused.status_code == 403
    assert "does not allow" in refused.get_data(as_text=True)
    with svc.db.session() as session:
        tenant = session.query(Tenant).filter_by(slug=staff["a:viewer"]["slug"]).one()
    assert tenant.theme == "base"
