"""Tenants, console users, staff roles, API keys and tenant resolution.

The tenants' public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.tenants.models import Tenant
from jifen.tenants.revisions import bump as bump_revision
from jifen.tenants.service import local_day
from jifen.tenants.sessions import hand_over as hand_over_sessions

__all__ = ["Tenant", "bump_revision", "hand_over_sessions", "local_day"]
