"""The extension surface: every hook specified, documented, and loaded by entry point."""

import inspect
import re
from pathlib import Path

from jifen import hookspecs
from jifen.plugins import build_plugin_manager, describe

DOCS = Path(__file__).parents[1] / "docs" / "plugins.md"


def hooks() -> list[tuple[str, object]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "jifen_spec")
    ]


def test_there_are_hooks_to_document():
    assert {"register_earn_rules", "register_themes", "ledger_entry_posted"} <= dict(hooks()).keys()


def test_every_hook_has_a_docstring_contract():
    undocumented = [name for name, fn in hooks() if len((fn.__doc__ or "").strip()) < 40]
    assert undocumented == []


def test_every_hook_has_a_section_in_the_plugin_guide():
    sections = set(re.findall(r"^### (\w+)$", DOCS.read_text(encoding="utf-8"), re.M))
    missing = sorted(set(dict(hooks())) - sections)
    stale = sorted(sections - set(dict(hooks())))
    assert (missing, stale) == ([], [])


def test_built_in_plugins_load_through_the_public_entry_point():
    loaded = {name: (dist, hooks) for name, dist, hooks in describe(build_plugin_manager())}
    dist, implemented = loaded["jifen.themes"]
    assert dist.startswith("jifen ")
    assert implemented == ["register_themes"]


def test_cli_lists_plugins(app):
    result = app.test_cli_runner().invoke(args=["jifen", "plugins"])
    assert result.exit_code == 0
    assert "jifen.themes" in result.output


def test_a_deployment_with_redis_is_not_offered_the_test_gateway(tmp_path):
    from jifen.config import Settings
    from jifen_plugins.payment_providers import offline_test

    def providers(**settings):
        found = offline_test.register_payment_providers(
            Settings.from_env({}, instance_path=tmp_path, secret_key="s" * 48, **settings)
        )
        return [provider.name for provider in found]

    assert providers(redis_url="redis://127.0.0.1:6379/0") == []
    assert providers(redis_url="redis://127.0.0.1:6379/0", testing=True) == ["offline_test"]
    assert providers() == ["offline_test"]  # the embedded mode: the demo pays with it


def test_a_plugins_own_settings_come_from_jifen_plugin_variables(tmp_path):
    from jifen.config import Settings

    settings = Settings.from_env(
        {"JIFEN_PLUGIN_MY_SMS_KEY": "k-1", "JIFEN_SECRET_KEY": "s" * 48, "OTHER": "x"},
        instance_path=tmp_path,
    )
    assert settings.extra == {"my_sms_key": "k-1"}
