"""The plugin manager: built-in and third-party plugins from the `jifen` entry points."""

from __future__ import annotations

import pluggy

from jifen import hookspecs

PROJECT = "jifen"


def build_plugin_manager() -> pluggy.PluginManager:
    """A manager with every installed plugin loaded and checked against the hookspecs."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(PROJECT)
    pm.check_pending()
    return pm


def describe(pm: pluggy.PluginManager) -> list[tuple[str, str, list[str]]]:
    """(name, distribution, hooks implemented) for each loaded plugin."""
    dists = {
        id(plugin): f"{dist.project_name} {dist.version}"
        for plugin, dist in pm.list_plugin_distinfo()
    }
    rows = []
    for name, plugin in sorted(pm.list_name_plugin()):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append((name, dists.get(id(plugin), "-"), hooks))
    return rows
