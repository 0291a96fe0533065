"""What each staff role may do in its tenant's console.

A permission names a kind of work, not a page: the console's routes each declare the
one they need (jifen.console.access), and the server refuses the rest, whatever the
menu shows. Roles grow one way: a viewer looks; an operator also serves members and
orders; an admin also configures the programme, the mall and the API keys; the owner
also manages the team and the tenant's secrets.
"""

from __future__ import annotations

from jifen.i18n import N_
from jifen.tenants.models import ROLES

VIEW = "view"  # read any page
OPERATE = "operate"  # members' points, orders, reviews, after-sales
CONFIGURE = "configure"  # rules, catalog, settings, branding, API keys
MANAGE = "manage"  # staff and roles, sign-in secrets, the tenant itself

PERMISSIONS = (VIEW, OPERATE, CONFIGURE, MANAGE)

_GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({VIEW}),
    "operator": frozenset({VIEW, OPERATE}),
    "admin": frozenset({VIEW, OPERATE, CONFIGURE}),
    "owner": frozenset(PERMISSIONS),
}
assert set(_GRANTS) == set(ROLES)

# Each role's name as people read it (message ids).
ROLE_NAMES = {
    "owner": N_("owner"),
    "admin": N_("admin"),
    "operator": N_("operator"),
    "viewer": N_("viewer"),
}
assert set(ROLE_NAMES) == set(ROLES)


def allows(role: str, permission: str) -> bool:
    """Whether staff with `role` may do work needing `permission` (unknown: no)."""
    return permission in _GRANTS.get(role, frozenset())
