"""Tenants, console users, staff roles, API keys and tenant resolution.

The tenants' public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.tenants.models import Tenant
from jifen.tenants.revisions import bump as bump_revision
from jifen.tenants.service import local_day

__all__ = ["Tenant", "bump_revision", "local_day"]
