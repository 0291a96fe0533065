"""The storefront themes shipped with Jifen: `base`, which every other theme falls back
to, and three complete ones that look different in layout as well as colour: `classic`
(an e-commerce grid), `fresh` (large cards) and `night` (dark, in rows)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from jifen.hookimpl import hookimpl
from jifen.theming import Theme

SHIPPED = ("base", "classic", "fresh", "night")


@hookimpl
def register_themes() -> list[Theme]:
    return [Theme(name=name, path=Path(str(files("jifen_themes") / name))) for name in SHIPPED]
