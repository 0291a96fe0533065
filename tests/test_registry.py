"""One registry for every registration hook: things by name with the plugin that provides
them, duplicates refused alike, unknown names answered with the known ones, and a plugin
that raises named instead of taking the app down."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from jifen.config import Settings
from jifen.errors import JifenError
from jifen.hookimpl import hookimpl
from jifen.mall.errors import OutOfStock
from jifen.mall.modes import RedeemModes
from jifen.mall.payments import PaymentProviders
from jifen.mall.till import TillServices
from jifen.plugins import build_plugin_manager
from jifen.registry import DuplicateName, PluginFailed, isolated
from jifen.rules.registry import RuleTypes
from jifen.theming import Theme, Themes, init_themes

# Each registry: its hook, a built-in name it holds, the plugin providing it, and the
# error (code and detail field) for a name nobody provides.
REGISTRIES = {
    "earn rules": (
        RuleTypes,
        "register_earn_rules",
        "spend",
        "jifen.earn_rules.spend",
        ("unknown_rule_type", "type"),
    ),
    "redeem modes": (
        RedeemModes,
        "register_redeem_modes",
        "lottery",
        "jifen.redeem_modes.lottery",
        ("unknown_redeem_mode", "mode"),
    ),
    "till services": (
        TillServices,
        "register_till_services",
        "lottery",
        "jifen.till_services",
        ("unknown_till_service", "service"),
    ),
    "payment providers": (
        partial(PaymentProviders, settings=Settings.from_env({}, secret_key="a registry test")),
        "register_payment_providers",
        "manual",
        "jifen.payment_providers.manual",
        ("unknown_payment_provider", "provider"),
    ),
    "themes": (Themes, "register_themes", "base", "jifen.themes", ("unknown_theme", "theme")),
}


class Impostor:
    """Provides, through any registration hook, a thing whose name is taken."""

    def __init__(self, hook: str, name: str) -> None:
        self.name = name

        def provide() -> list:
            return [self]

        setattr(self, hook, hookimpl(specname=hook)(provide))


class Crashing:
    """A plugin whose registration hook has a bug."""

    def __init__(self, hook: str) -> None:
        def provide() -> list:
            raise KeyError("the plugin's own bug")

        setattr(self, hook, hookimpl(specname=hook)(provide))


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_each_thing_is_known_with_the_plugin_that_provides_it(registry):
    build, _hook, name, plugin, _unknown = registry

    built = build(build_plugin_manager())

    assert name in built and name in built.names()
    assert built.get(name).name == name
    assert built.plugin_of(name) == plugin


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_a_name_nobody_provides_is_a_domain_error_listing_the_known(registry):
    build, _hook, name, _plugin, (code, field) = registry
    built = build(build_plugin_manager())

    with pytest.raises(JifenError) as raised:
        built.get("nope")

    assert raised.value.code == code
    assert raised.value.details[field] == "nope"
    assert name in raised.value.details["known"]
    assert built.find("nope") is None


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_a_name_two_plugins_provide_is_refused_naming_both(registry):
    build, hook, name, plugin, _unknown = registry
    pm = build_plugin_manager()
    pm.register(Impostor(hook, name), name="test_impostor")

    with pytest.raises(DuplicateName) as raised:
        build(pm)

    assert raised.value.code == "duplicate_plugin_name"
    assert raised.value.details["name"] == name
    assert sorted(raised.value.details["plugins"]) == sorted([plugin, "test_impostor"])
    assert "test_impostor" in str(raised.value) and plugin in str(raised.value)


def test_a_method_a_thing_lacks_is_its_plugins_failure():
    modes = RedeemModes(build_plugin_manager())

    with pytest.raises(PluginFailed) as raised:
        modes.call("exchange", "no_such_method")

    assert raised.value.details == {
        "plugin": "jifen.redeem_modes.exchange",
        "call": "redeem mode 'exchange'.no_such_method",
    }


def test_an_answer_of_the_wrong_shape_is_its_plugins_failure():
    modes = RedeemModes(build_plugin_manager())

    assert modes.call_checked("exchange", "__str__", lambda answer: isinstance(answer, str))
    with pytest.raises(PluginFailed) as raised:
        modes.call_checked("exchange", "__str__", lambda answer: isinstance(answer, int))

    assert raised.value.details == {
        "plugin": "jifen.redeem_modes.exchange",
        "call": "redeem mode 'exchange'.__str__",
    }
    assert "answered str" in raised.value.message


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES.keys())
def test_a_registration_hook_that_raises_is_named(registry):
    build, hook, _name, _plugin, _unknown = registry
    pm = build_plugin_manager()
    pm.register(Crashing(hook), name="test_crashing")

    with pytest.raises(PluginFailed) as raised:
        build(pm)

    assert raised.value.code == "plugin_failed"
    assert raised.value.details == {"plugin": "test_crashing", "call": hook}
    assert isinstance(raised.value.__cause__, KeyError)
    assert "the plugin's own bug" not in str(raised.value.to_dict())


def test_domain_database_and_unexpected_errors_are_told_apart():
    def refuses() -> None:
        raise OutOfStock(details={"requested": 2})

    def breaks() -> None:
        raise ZeroDivisionError

    def busy() -> None:
        raise OperationalError("UPDATE products ...", {}, Exception("database is locked"))

    with pytest.raises(OutOfStock):
        isolated("some_plugin", "redeem", refuses)
    with pytest.raises(OperationalError):  # the platform's database, retried as ever
        isolated("some_plugin", "redeem", busy)
    with pytest.raises(PluginFailed) as raised:
        isolated("some_plugin", "redeem", breaks)
    assert raised.value.status == 500
    assert raised.value.details == {"plugin": "some_plugin", "call": "redeem"}


class BrokenTheme:
    """A theme whose folder cannot be found when a page is rendered."""

    name = "broken"

    @property
    def templates(self) -> Path:
        raise OSError("gone")

    @hookimpl
    def register_themes(self) -> list:
        return [self]


def test_a_theme_that_fails_to_load_its_templates_is_named():
    pm = build_plugin_manager()
    pm.register(BrokenTheme(), name="test_broken_theme")
    app = Flask(__name__)

    init_themes(app, pm)

    env = app.extensions["jifen.theme_env"]
    with pytest.raises(PluginFailed) as raised:
        env.get_template("@broken/home.html")
    assert raised.value.details == {
        "plugin": "test_broken_theme",
        "call": "theme 'broken'.templates",
    }
    assert env.get_template("@base/home.html") is not None


def test_a_theme_plugin_that_fails_to_register_stops_the_app_named():
    pm = build_plugin_manager()
    pm.register(Crashing("register_themes"), name="test_crashing_theme")

    with pytest.raises(PluginFailed) as raised:
        init_themes(Flask(__name__), pm)

    assert raised.value.details["plugin"] == "test_crashing_theme"


def test_themes_are_plain_data():
    theme = Theme(name="plain", path=Path("somewhere"))
    assert (theme.templates, theme.static) == (
        Path("somewhere/templates"),
        Path("somewhere/static"),
    )
