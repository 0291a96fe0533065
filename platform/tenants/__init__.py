"""Tenants, console users, staff roles, API keys and tenant resolution.

The tenants' public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.tenants.models import Tenant, User, UserCode
from jifen.tenants.revisions import bump as bump_revision
from jifen.tenants.service import local_day
from jifen.tenants.sessions import hand_over as hand_over_sessions
from jifen.tenants.user_codes import RESET_PASSWORD, VERIFY_EMAIL, UserCodeRequested

__all__ = [
    "RESET_PASSWORD",
    "VERIFY_EMAIL",
    "Tenant",
    "User",
    "UserCode",
    "UserCodeRequested",
    "bump_revision",
    "hand_over_sessions",
    "local_day",
]
