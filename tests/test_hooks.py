"""Every hook is called by the platform and has its own test (datasette's rule): a hook
in `hookspecs.py` without a `test_hook_<name>` test fails here, and such a test fails
when the platform did not call its hook while it ran (conftest.py, hook_calls.py). And
the theme hook's own test."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import sqlite_only
from hook_calls import HOOKS
from sqlalchemy import update

from jifen.hookimpl import hookimpl
from jifen.tenants.models import Tenant
from jifen.theming import Theme, init_themes

ROOT = Path(__file__).resolve().parents[1]


def sources(folder: str) -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / folder).rglob("*.py")))


def test_every_hook_has_its_own_test():
    tests = sources("tests")
    missing = [h for h in HOOKS if not re.search(rf"def test_hook_{h}(\(|_)", tests)]
    assert HOOKS and missing == []


class Lantern:
    """A theme from a plugin: its own home page, on the base theme's layout."""

    def __init__(self, folder: Path) -> None:
        templates = folder / "templates"
        templates.mkdir(parents=True)
        (folder / "static").mkdir()
        (templates / "home.html").write_text(
            '{% extends "base:layout.html" %}'
            "{% block content %}<p class=lantern>Lantern Festival sale</p>{% endblock %}"
        )
        self.theme = Theme(name="lantern", path=folder)

    @hookimpl
    def register_themes(self):
        return [self.theme]


@sqlite_only
def test_hook_register_themes(app, client, svc, tenant, tmp_path):
    svc.plugins.register(Lantern(tmp_path / "lantern"), name="lantern-theme")
    init_themes(app, svc.plugins)
    with svc.db.transaction() as session:
        session.execute(update(Tenant).where(Tenant.id == tenant.tenant_id).values(theme="lantern"))

    page = client.get(f"/m/{tenant.slug}/").get_data(as_text=True)

    assert "Lantern Festival sale" in page
    assert "<title>Acme</title>" in page  # the base layout around it
