"""The base storefront theme, which every other theme falls back to."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from jifen.hookimpl import hookimpl
from jifen.theming import Theme


@hookimpl
def register_themes() -> list[Theme]:
    return [Theme(name="base", path=Path(str(files("jifen_themes") / "base")))]
