"""What the console's tests share: a merchant signed up and verified, pages read as
text, the codes the console emailed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, text

from jifen.audit import SYSTEM
from jifen.tenants import users

__all__ = [
    "CHINESE",
    "ENGLISH",
    "Merchant",
    "emailed_code",
    "form_fields",
    "page",
    "sign_up",
    "text",
]

PASSWORD = "correct horse battery"


@dataclass
class Merchant:
    email: str
    password: str


def emailed_code(svc, to: str) -> str:
    """The code in the newest email the console sent to `to` (the log notifier keeps it)."""
    svc.jobs.wait_idle()
    svc.relay.drain()
    notifier = svc.notifiers.registry.get("log")
    message = next(m for m in reversed(notifier.recent) if m.to == to)
    return re.search(r"\b(\d{6})\b", message.body)[1]


def post(client, url: str, data: dict, headers=ENGLISH, files=None):
    """Post a console form as a browser would: with the CSRF token of the page at `url`."""
    form = form_fields(page(client, url, headers))
    body = form | data | (files or {})
    return client.post(url, data=body, headers=headers)


def sign_up(client, svc, email: str = "owner@shop.example", headers=ENGLISH) -> Merchant:
    """A new merchant, signed up and verified in `client`."""
    answer = post(client, "/console/signup", {"email": email, "password": PASSWORD}, headers)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    code = emailed_code(svc, email)
    verified = post(client, "/console/verify", {"code": code}, headers)
    assert verified.status_code == 303, verified.get_data(as_text=True)[:2000]
    return Merchant(email, PASSWORD)


def open_mall(client, slug: str = "teahouse", headers=ENGLISH, **fields) -> object:
    data = {
        "name": "Tea House",
        "slug": slug,
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
        "locale": "zh_CN",
        "points_name": "积分",
    } | fields
    return post(client, "/console/malls/new", data, headers)


def staff_member(svc, tenant, role: str, email: str | None = None) -> Merchant:
    """A verified console user who is `role` in `tenant` (a TenantKey)."""
    email = email or f"{role}@{tenant.slug}.example"
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        user = users.create_user(
            session, email=email, name=role.title(), password=PASSWORD, clock=svc.clock
        )
        users.add_staff(
            session,
            tenant_id=tenant.tenant_id,
            user_id=user.id,
            role=role,
            actor=SYSTEM,
            clock=svc.clock,
        )
    return Merchant(email, PASSWORD)


def signed_in_as(client, svc, tenant, role: str = "owner", headers=ENGLISH) -> Merchant:
    """`client` signed in to the console as a new `role` of `tenant`, working in it."""
    staff = staff_member(svc, tenant, role)
    answer = post(
        client, "/console/login", {"email": staff.email, "password": staff.password}, headers
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    return staff
