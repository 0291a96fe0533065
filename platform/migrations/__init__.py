"""Alembic migrations; run with `flask jifen db upgrade`."""
