"""The console's settings: what a merchant set up once and changes later, a page each.

- `settings_look`: the mall's name, theme, colour and logo (previewed live), its banners;
- `settings_tiers`: the tier ladder;
- `settings_points`: when points expire, the reminders before, transfers between
  members, and what points are worth at the merchant's own checkout;
- `settings_members`: the members' language and how they sign in, and the rotation of
  the secret that signs their sign-in links;
- `settings_domains`: the mall at the merchant's own domain, once it is proved theirs.

This module holds the overview and what every settings page shows: the sections the
staff's role opens, the current one marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from jifen.console.access import current, staff_page
from jifen.console.pages import bp, render
from jifen.console.setup import themes
from jifen.i18n import N_, translate
from jifen.ledger import policy
from jifen.mall import settings as mall_settings
from jifen.members import sign_in_links, tiers
from jifen.tenants import domains, roles
from jifen.web import db_session


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str
    permission: str


SECTIONS = (
    Section("console.settings_look", N_("Name and look"), roles.CONFIGURE),
    Section("console.settings_banners", N_("Banners"), roles.CONFIGURE),
    Section("console.settings_tiers", N_("Tiers"), roles.CONFIGURE),
    Section("console.settings_points", N_("Expiry and transfers"), roles.CONFIGURE),
    Section("console.settings_checkout", N_("Points at your checkout"), roles.CONFIGURE),
    Section("console.settings_members", N_("Language and sign-in"), roles.CONFIGURE),
    Section("console.settings_keys", N_("Sign-in secret"), roles.MANAGE),
    Section("console.settings_domains", N_("Your own domain"), roles.CONFIGURE),
)

# A custom domain's states (jifen.tenants.domains), as the pages name them.
DOMAIN_STATES = {
    domains.PENDING: N_("Waiting for proof"),
    domains.VERIFIED: N_("Verified"),
    domains.FAILED: N_("Not proved"),
}


def page(template: str, **context: Any) -> str:
    """A settings page, with the sections the staff's role opens."""
    staff = current()
    sections = [
        {"url": url_for(s.endpoint), "label": translate(s.label), "endpoint": s.endpoint}
        for s in SECTIONS
        if staff.can(s.permission)
    ]
    return render(template, sections=sections, **context)


@bp.route("/settings")
@staff_page(roles.CONFIGURE)
def settings() -> str:
    """Each section with what it is set to now."""
    staff = current()
    tenant = staff.tenant
    assert tenant is not None
    session = db_session()
    manages = staff.can(roles.MANAGE)
    return page(
        "console/settings.html",
        tenant=tenant,
        theme=next((t["title"] for t in themes() if t["name"] == tenant.theme), tenant.theme),
        live_keys=sign_in_links.live_count(session) if manages else None,
        ladder=tiers.tiers_of(session, tenant.id),
        points=policy.policy_of(session, tenant.id),
        checkout=mall_settings.settings_of(session, tenant.id),
        claims=domains.claims(session, tenant.id),
        domain_states={state: translate(label) for state, label in DOMAIN_STATES.items()},
    )
