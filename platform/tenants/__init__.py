"""Tenants, console users, staff roles, API keys and tenant resolution."""
