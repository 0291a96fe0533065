"""Tenants, console users, staff roles, API keys and tenant resolution.

The tenants' public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.tenants.invitations import StaffInvited, join_path
from jifen.tenants.models import StaffInvitation, Tenant, User, UserCode
from jifen.tenants.revisions import bump as bump_revision
from jifen.tenants.roles import ROLE_NAMES
from jifen.tenants.service import local_day
from jifen.tenants.sessions import hand_over as hand_over_sessions
from jifen.tenants.user_codes import RESET_PASSWORD, VERIFY_EMAIL, UserCodeRequested

__all__ = [
    "RESET_PASSWORD",
    "ROLE_NAMES",
    "VERIFY_EMAIL",
    "StaffInvitation",
    "StaffInvited",
    "Tenant",
    "User",
    "UserCode",
    "UserCodeRequested",
    "bump_revision",
    "hand_over_sessions",
    "join_path",
    "local_day",
]
