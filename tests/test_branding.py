"""A mall's colours stay readable whatever brand colour the merchant picks (WCAG 2)."""

from __future__ import annotations

from jifen.storefront.branding import BODY_TEXT, contrast, palette


def test_on_a_dark_theme_text_in_the_brand_colour_is_lightened():
    colors = palette("#5a2d82", "#1f1f27")  # a dark purple on the night theme's cards
    assert contrast(colors.primary_text, "#1f1f27") >= BODY_TEXT
    assert colors.on_primary == "#ffffff"


def test_contrast_is_wcags_ratio():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
