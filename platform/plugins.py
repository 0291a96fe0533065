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


def alone(pm: pluggy.PluginManager, hook: str, plugin: str) -> pluggy.HookCaller:
    """Hook `hook` as plugin `plugin` alone implements it. The platform calls each plugin
    on its own, to know what each provided and to isolate, name and retry each alone,
    and through pluggy, so that each call is a hook call like any other: pluggy's
    tracing and hook-call monitoring see it (the suite checks every hook is called so)."""
    others = [other for name, other in pm.list_name_plugin() if name != plugin]
    return pm.subset_hook_caller(hook, remove_plugins=others)


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
