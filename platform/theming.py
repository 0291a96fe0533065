"""Storefront themes: a name and a folder of templates and static files, and their loader."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import flask_babel
import pluggy
from flask import Flask
from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound

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


BASE_THEME = "base"


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
    """Resolves `{% extends "x.html" %}` inside a theme to the same theme's chain."""

    def join_path(self, template: str, parent: str) -> str:
        if parent.startswith("@") and not template.startswith(("@", "base:")):
            return f"{parent.split('/', 1)[0]}/{template}"
        return template


def _money(minor: int, currency: str) -> str:
    """An amount in minor units as the reader's locale writes it."""
    return format_money(minor, currency, flask_babel.get_locale() or "en")


def _percent(share: str) -> str:
    """A share (a decimal string, "0.09") as a percent in the reader's locale (9%)."""
    shown: str = flask_babel.format_percent(Decimal(share), "#,##0.####%")
    return shown


def init_themes(app: Flask, plugins: pluggy.PluginManager) -> None:
    """Collect the registered themes and set up the storefront's Jinja environment."""
    themes = Themes(plugins)
    if BASE_THEME not in themes:
        raise RuntimeError("the base theme is not registered: is Jifen installed?")
    env = ThemedEnvironment(loader=ThemeLoader(themes), autoescape=True)
    env.globals.update(app.jinja_env.globals)
    env.filters.update(app.jinja_env.filters)
    env.filters["number"] = flask_babel.format_number  # 12,345 in the reader's locale
    env.filters["money"] = _money
    env.filters["datetime"] = flask_babel.format_datetime  # in the reader's locale and zone
    env.filters["date"] = flask_babel.format_date
    env.filters["percent"] = _percent
    app.extensions["jifen.themes"] = themes
    app.extensions["jifen.theme_env"] = env
