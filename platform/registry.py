"""What plugins provide, by name, and the one way the platform calls into a plugin.

Every registration hook (`register_earn_rules()`, `register_redeem_modes()`, ...)
becomes a `Registry`: its implementations are called one by one, so each thing is known
with the plugin that provided it; a name two plugins provide is refused at once
(`DuplicateName`), and looking up a name nobody provides raises the registry's own
domain error with the names that are known.

`isolated` calls a plugin-provided object. A plugin that raises something unexpected
(or, through `Registry.call_checked`, answers in a shape its hook does not specify)
fails the operation with `PluginFailed`, which names the plugin and the call, so the
surrounding transaction rolls back and the app carries on. Domain errors (the platform's
own, raised through what the plugin was handed, e.g. `OutOfStock`) and database errors
(a plugin never sees a session, so they are the platform's: a busy database) pass
through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

import pluggy
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from jifen.errors import JifenError
from jifen.field_messages import field_messages
from jifen.i18n import N_, Message
from jifen.plugins import alone


class Named(Protocol):
    """What a registry holds: anything with a unique, stable `name`."""

    @property
    def name(self) -> str: ...


P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T", bound=Named)


class PluginFailed(JifenError):
    """A plugin raised where it should have answered; nothing of the operation is kept.
    `details` names the plugin and the call (the plugin's own message is logged, not
    shown)."""

    code = "plugin_failed"
    status = 500
    message = N_("A plugin failed; nothing was changed.")


class DuplicateName(JifenError):
    """Two plugins provide a thing under the same name (found when the registry is
    built, i.e. at start-up or on first use)."""

    code = "duplicate_plugin_name"
    status = 500
    message = N_("Two plugins provide the same name.")


def isolated(plugin: str, call: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)`, a call into `plugin`; anything it raises other than a
    domain or database error becomes `PluginFailed` naming the plugin and `call`."""
    try:
        return fn(*args, **kwargs)
    except (JifenError, SQLAlchemyError):
        raise
    except Exception as error:  # a plugin's bug fails the operation, named, not the app
        raise PluginFailed(
            N_("Plugin '%(plugin)s' raised %(error)s in %(call)s."),
            params={"plugin": plugin, "error": type(error).__name__, "call": call},
            details={"plugin": plugin, "call": call},
        ) from error


class Registry(Generic[T]):
    """Everything one registration hook provides, keyed by its `name`.

    `hook_args` are the hook's arguments, if it takes any. `kind` names the things in
    messages and calls ("redeem mode"); `unknown` is the domain error `get` raises for a
    missing name, with `details[field]` the name asked for and `details["known"]` the
    names there are.
    """

    def __init__(
        self,
        plugins: pluggy.PluginManager,
        hook: str,
        *,
        kind: str,
        unknown: type[JifenError],
        field: str = "name",
        hook_args: Mapping[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self._unknown = unknown
        self._field = field
        self._things: dict[str, T] = {}
        self._plugins: dict[str, str] = {}
        # In the order pluggy would call them (last registered first), each plugin
        # alone, with the hook's arguments (`hook_args`: e.g. the app's settings).
        for impl in reversed(getattr(plugins.hook, hook).get_hookimpls()):
            caller = alone(plugins, hook, impl.plugin_name)
            for answer in isolated(impl.plugin_name, hook, caller, **(hook_args or {})):
                for thing in answer:
                    self._add(thing, impl.plugin_name)

    def _add(self, thing: T, plugin: str) -> None:
        name = thing.name
        if name in self._things:
            raise DuplicateName(
                N_("Plugins '%(first)s' and '%(second)s' both provide the %(kind)s '%(name)s'."),
                params={"first": self._plugins[name], "second": plugin, "kind": self.kind}
                | {"name": name},
                details={"kind": self.kind, "name": name, "plugins": [self._plugins[name], plugin]},
            )
        self._things[name] = thing
        self._plugins[name] = plugin

    def get(self, name: str) -> T:
        """The thing called `name`; the registry's `unknown` error if none is."""
        try:
            return self._things[name]
        except KeyError:
            raise self._unknown(details={self._field: name, "known": self.names()}) from None

    def find(self, name: str) -> T | None:
        """The thing called `name`, or None."""
        return self._things.get(name)

    def plugin_of(self, name: str) -> str:
        """The name of the plugin that provides `name`."""
        self.get(name)
        return self._plugins[name]

    def names(self) -> list[str]:
        """Every name provided, sorted."""
        return sorted(self._things)

    def items(self) -> Iterator[tuple[str, T]]:
        """(name, thing), by name."""
        for name in self.names():
            yield name, self._things[name]

    def __contains__(self, name: object) -> bool:
        return name in self._things

    def isolate(
        self, name: str, call: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """`fn(*args, **kwargs)`, isolated as a call into the plugin that provides `name`,
        named "<kind> '<name>'.<call>"."""
        return isolated(self.plugin_of(name), f"{self.kind} {name!r}.{call}", fn, *args, **kwargs)

    def call(self, name: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """`get(name).<method>(*args, **kwargs)`, isolated (a missing method too)."""
        thing = self.get(name)

        def invoke() -> Any:
            return getattr(thing, method)(*args, **kwargs)

        return self.isolate(name, method, invoke)

    def call_checked(self, name: str, method: str, valid: Callable[[Any], bool], *args: Any) -> Any:
        """`call`, then `valid(answer)`: an answer of the wrong shape is the plugin's
        failure (`PluginFailed` naming the plugin and the call), like one that raises."""
        answer = self.call(name, method, *args)
        if not valid(answer):
            plugin = self.plugin_of(name)
            call = f"{self.kind} {name!r}.{method}"
            raise PluginFailed(
                N_(
                    "Plugin '%(plugin)s' answered %(answer)s in %(call)s, which is not what"
                    " the hook specifies."
                ),
                params={"plugin": plugin, "answer": type(answer).__name__, "call": call},
                details={"plugin": plugin, "call": call},
            )
        return answer


class Configurable(Named, Protocol):
    """A thing configured per use by parameters its `Params` schema checks (an earn rule
    type, a redeem mode)."""

    # Read-only, so that the nested `class Params(Schema)` of an implementation fits.
    @property
    def Params(self) -> type[Schema]: ...


C = TypeVar("C", bound=Configurable)


class Configurables(Registry[C]):
    """A registry whose things take parameters: checked and stored through their own
    schema, isolated like every other call into a plugin."""

    def load_params(
        self, name: str, params: Any, *, invalid: type[JifenError], field: str
    ) -> dict[str, Any]:
        """`params` loaded by the schema of `name`; `invalid` (with the schema's messages
        under `details[field]`) when they do not pass it."""
        schema = self.get(name).Params
        if not isinstance(params, dict):
            raise invalid(details={field: [Message(N_("Must be an object."))]})

        def load() -> dict[str, Any]:
            try:
                loaded: dict[str, Any] = schema().load(params)
                return loaded
            except ValidationError as error:
                raise invalid(details={field: field_messages(error.messages)}) from None

        return self.isolate(name, "Params.load", load)

    def dump_params(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Loaded parameters as JSON, as the schema of `name` writes them."""
        schema = self.get(name).Params
        return self.isolate(name, "Params.dump", lambda: schema().dump(params))
