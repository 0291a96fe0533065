"""Which hooks the platform calls while a `test_hook_<name>` test runs.

tests/test_hooks.py requires a `test_hook_<name>` test for every hook in `hookspecs.py`;
conftest.py fails such a test when, while its body ran, the platform did not call hook
`<name>`. Together they prove that every hook is really called, by the platform: a call
counts when the first caller outside pluggy is a module of the platform (`jifen.`), not
the test calling `pm.hook.<name>()` itself. Calls are seen through pluggy's hook-call
monitoring on every plugin manager built during the test.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pluggy
import pytest

from jifen import hookspecs

HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if callable(value) and hasattr(value, "jifen_spec")
)


def hook_under_test(test_name: str) -> str | None:
    """The hook a `test_hook_<name>` (or `test_hook_<name>_<what>`) test is for."""
    fits = [
        hook
        for hook in HOOKS
        if test_name == f"test_hook_{hook}" or test_name.startswith(f"test_hook_{hook}_")
    ]
    return max(fits, key=len, default=None)


def called_by_the_platform() -> bool:
    """Whether the code calling the hook being called is the platform's: the first frame
    outside pluggy and this module is in a module of `jifen` (its test support aside)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and _module(frame).startswith(("pluggy", __name__)):
        frame = frame.f_back
    module = _module(frame)
    return module.startswith("jifen.") and not module.startswith("jifen.testing")


def _module(frame: Any) -> str:
    return str(frame.f_globals.get("__name__", ""))


class HookCalls:
    """The hooks the platform called, on every plugin manager built once `watch` is on,
    while `recording` (the test's body)."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        self.recording = False

    def watch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Monitor every plugin manager built from now on (the app's, through
        `jifen.plugins.build_plugin_manager`, and any a test builds)."""
        calls = self

        class Monitored(pluggy.PluginManager):
            def __init__(self, project_name: str) -> None:
                super().__init__(project_name)
                self.add_hookcall_monitoring(calls.before, calls.after)

        monkeypatch.setattr(pluggy, "PluginManager", Monitored)

    def before(self, hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        if self.recording and called_by_the_platform():
            self.called.add(hook_name)

    def after(self, *_: Any) -> None:
        """Nothing to see after a call."""
