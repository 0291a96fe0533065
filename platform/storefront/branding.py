"""A mall's colours from its brand colour, readable whatever the merchant picks.

The brand colour fills the header and the buttons; their text is white or near-black,
whichever contrasts more with it. Text drawn *in* the brand colour (prices, the balance)
on the theme's surface is the brand colour darkened (or, on a dark surface, lightened)
until it reaches WCAG's 4.5:1 for body text. Colours are `#rrggbb`.
"""

from __future__ import annotations

from dataclasses import dataclass

WHITE, INK = "#ffffff", "#1a1a1a"
BODY_TEXT = 4.5  # WCAG 2 AA contrast for normal text


@dataclass(frozen=True)
class Palette:
    primary: str  # the brand colour: header, buttons
    on_primary: str  # text on it
    primary_text: str  # the brand colour as text on the surface


def palette(brand: str, surface: str) -> Palette:
    on_primary = max((WHITE, INK), key=lambda text: contrast(brand, text))
    return Palette(brand, on_primary, readable_on(brand, surface))


def readable_on(color: str, surface: str) -> str:
    """`color`, moved towards black (or white, on a dark surface) in small steps until
    it reads on `surface`."""
    target = (0, 0, 0) if luminance(surface) > 0.5 else (255, 255, 255)
    rgb = _rgb(color)
    for step in range(21):
        mixed = tuple(round(c + (t - c) * step / 20) for c, t in zip(rgb, target, strict=True))
        candidate = "#" + "".join(f"{c:02x}" for c in mixed)
        if contrast(candidate, surface) >= BODY_TEXT:
            return candidate
    return INK if target == (0, 0, 0) else WHITE


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def luminance(color: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
