"""Storefront themes: a name and a folder of templates and static files, and their loader."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import flask_babel
import pluggy
from flask import Flask
from itsdangerous import BadData, URLSafeTimedSerializer
from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from jifen.errors import JifenError
from jifen.i18n import N_, format_money
from jifen.registry import Registry


@dataclass(frozen=True)
class Theme:
    """A theme: `path` holds `templates/`, `static/` and `theme.toml`, its manifest (a
    `title`, a `description` and its `[settings]`: `primary_color`, `surface_color` (of
    its cards, so that text in the primary colour is made readable on it), and
    `stylesheet`, a file of `static/` pages link after the base theme's)."""

    name: str
    path: Path

    @property
    def templates(self) -> Path:
        return self.path / "templates"

    @property
    def static(self) -> Path:
        return self.path / "static"

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        """What `theme.toml` says (nothing, for a theme without one)."""
        path = self.path / "theme.toml"
        if not path.exists():
            return {}
        with path.open("rb") as file:
            return tomllib.load(file)

    @property
    def settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self.manifest.get("settings", {})
        return settings

    def described(self, locale: str) -> tuple[str, str]:
        """Its title and description in `locale` where `theme.toml` has them under
        `[translations.<locale>]`, else as the manifest gives them (else its name)."""
        manifest = self.manifest
        own = manifest.get("translations", {}).get(locale, {})
        title = own.get("title") or manifest.get("title") or self.name
        return str(title), str(own.get("description") or manifest.get("description") or "")


BASE_THEME = "base"
# How long a preview of a mall in another look opens (jifen.console's set-up shows one).
PREVIEW_LIFE = 3600
_PREVIEW_SALT = "jifen mall preview"


@dataclass(frozen=True)
class Look:
    """A mall's theme and brand colour (None: the theme's), as a preview shows them."""

    theme: str
    brand_color: str | None


def preview_token(secret_key: str | bytes, tenant_id: object, look: Look) -> str:
    """A signed token that shows the tenant's mall in `look` for `PREVIEW_LIFE`: what
    the console puts in the address of the preview it frames."""
    signer = URLSafeTimedSerializer(secret_key, salt=_PREVIEW_SALT)
    return signer.dumps([str(tenant_id), look.theme, look.brand_color])


def read_preview(secret_key: str | bytes, token: str, tenant_id: object) -> Look | None:
    """The look a preview token shows, if it is genuine, live and for this tenant."""
    signer = URLSafeTimedSerializer(secret_key, salt=_PREVIEW_SALT)
    try:
        tenant, theme, color = signer.loads(token, max_age=PREVIEW_LIFE)
    except (BadData, ValueError, TypeError):
        return None
    if tenant != str(tenant_id) or not isinstance(theme, str):
        return None
    return Look(theme, color if isinstance(color, str) else None)


class UnknownTheme(JifenError):
    """404: a theme's files are asked for by URL."""

    code = "unknown_theme"
    status = 404
    message = N_("No installed plugin provides this theme.")


class Themes(Registry[Theme]):
    """Every storefront theme, by name, from `register_themes()`."""

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        super().__init__(
            plugins, "register_themes", kind="theme", unknown=UnknownTheme, field="theme"
        )


class ThemeLoader(BaseLoader):
    """Loads `@<theme>/<name>` from that theme, falling back to the base theme.

    The theme is part of the template's *name*, so Jinja's cache, which is keyed by name,
    can never serve one tenant another theme's template. `base:<name>` is always the base
    theme's, so a theme can extend the page it overrides.
    """

    def __init__(self, themes: Themes) -> None:
        self.themes = themes

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        if template.startswith("base:"):
            chain = [BASE_THEME]
            name = template.removeprefix("base:")
        elif template.startswith("@"):
            requested, _, name = template[1:].partition("/")
            chain = [requested, BASE_THEME] if requested != BASE_THEME else [BASE_THEME]
        else:
            raise TemplateNotFound(template)
        for theme_name in chain:
            theme = self.themes.find(theme_name)
            if theme is None:
                continue
            # A theme may be any object with a name and folders: reading them is a call
            # into its plugin.
            folder = self.themes.isolate(theme_name, "templates", attrgetter("templates"), theme)
            loader = FileSystemLoader(str(folder))
            try:
                return loader.get_source(environment, name)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)


class ThemedEnvironment(Environment):
    """Resolves `{% extends "x.html" %}` inside a theme to the same theme's chain (inside
    a `base:` template, to the base theme's)."""

    def join_path(self, template: str, parent: str) -> str:
        if template.startswith(("@", "base:", OVERRIDE)):
            return template
        if parent.startswith("@"):
            return f"{parent.split('/', 1)[0]}/{template}"
        if parent.startswith("base:"):
            return f"base:{template}"
        return template


# A tenant's overrides: `~<tenant id>/<name=version,...>/<theme>/<template>`, the
# template as that tenant sees it. The tenant and the versions of every override it has
# are in the name, which is what Jinja caches a compiled template under: one tenant's
# pages are never another's, and a changed override is a new name, never a stale one.
OVERRIDE = "~"
THEMES_OWN = "theme:"
Fetch = Callable[[str, str, int], "str | None"]


def override_name(tenant_id: object, versions: dict[str, int], theme: str, name: str) -> str:
    listed = ",".join(f"{template}={version}" for template, version in sorted(versions.items()))
    return f"{OVERRIDE}{tenant_id}/{listed}/{theme}/{name}"


class OverrideLoader(BaseLoader):
    """Loads a tenant's override (`override_name`) through `fetch(tenant id, template,
    version)`, the template from the tenant's theme chain where it has none or where
    the name is `theme:<template>` (so that an override can extend the page it
    replaces), and any other name as the themes' loader does."""

    def __init__(self, themes: ThemeLoader, fetch: Fetch) -> None:
        self.themes = themes
        self.fetch = fetch

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        if not template.startswith(OVERRIDE):
            return self.themes.get_source(environment, template)
        tenant_id, listed, theme, name = template[1:].split("/", 3)
        versions = dict(item.split("=") for item in listed.split(",") if item)
        if name.startswith(THEMES_OWN):
            return self.themes.get_source(environment, f"@{theme}/{name[len(THEMES_OWN) :]}")
        if name in versions:
            source = self.fetch(tenant_id, name, int(versions[name]))
            if source is not None:
                return source, template, lambda: True
        return self.themes.get_source(environment, f"@{theme}/{name}")


class SandboxedThemedEnvironment(SandboxedEnvironment):
    """Where a tenant's overrides render: Jinja's sandbox (a template cannot reach
    Python's internals), and `{% extends "x.html" %}` resolved in the same tenant's
    overrides and theme (`theme:x.html`: the theme's own, past the override)."""

    def join_path(self, template: str, parent: str) -> str:
        if parent.startswith(OVERRIDE) and not template.startswith(("@", "base:", OVERRIDE)):
            return f"{parent.rsplit('/', 1)[0]}/{template}"
        return ThemedEnvironment.join_path(self, template, parent)  # type: ignore[arg-type]


def _money(minor: int, currency: str) -> str:
    """An amount in minor units as the reader's locale writes it."""
    return format_money(minor, currency, flask_babel.get_locale() or "en")


def _percent(share: str) -> str:
    """A share (a decimal string, "0.09") as a percent in the reader's locale (9%)."""
    shown: str = flask_babel.format_percent(Decimal(share), "#,##0.####%")
    return shown


def _no_overrides(_tenant_id: str, _name: str, _version: int) -> str | None:
    return None


def init_themes(app: Flask, plugins: pluggy.PluginManager, fetch: Fetch = _no_overrides) -> None:
    """Collect the registered themes and set up the storefront's Jinja environments: the
    themes' own, and the sandbox that tenants' overrides (found by `fetch`) render in."""
    themes = Themes(plugins)
    if BASE_THEME not in themes:
        raise RuntimeError("the base theme is not registered: is Jifen installed?")
    loader = ThemeLoader(themes)
    env = ThemedEnvironment(loader=loader, autoescape=True)
    sandbox = SandboxedThemedEnvironment(loader=OverrideLoader(loader, fetch), autoescape=True)
    for environment in (env, sandbox):
        environment.globals.update(app.jinja_env.globals)
        environment.filters.update(app.jinja_env.filters)
        environment.filters["number"] = flask_babel.format_number  # 12,345, as the reader writes
        environment.filters["money"] = _money
        environment.filters["datetime"] = flask_babel.format_datetime  # the reader's zone too
        environment.filters["date"] = flask_babel.format_date
        environment.filters["percent"] = _percent
    app.extensions["jifen.themes"] = themes
    app.extensions["jifen.theme_env"] = env
    app.extensions["jifen.override_env"] = sandbox
