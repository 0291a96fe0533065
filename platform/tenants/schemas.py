"""The tenant's settings as the API reads and changes them."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from jifen.i18n import N_
from jifen.types import Instant, Text

SIGN_IN_METHODS = ("link", "code")
RGB = re.compile(r"#[0-9a-fA-F]{6}")


def _rgb(value: str) -> None:
    """`#rrggbb`, exactly (a validator, not a pattern: `$` would let a newline through)."""
    if not RGB.fullmatch(value):
        raise ValidationError(N_("Give a colour as #rrggbb."))


MAX_BANNERS = 5


def _on_this_site_or_absolute(value: str) -> None:
    """A path names a page of this site: `//host` or a backslash would leave it."""
    if value.startswith("//") or "\\" in value:
        raise ValidationError(N_("Give an http(s) address, or a path on this site."))


def _address(description: str, **options: Any) -> fields.URL:
    """An image's or a link's address: http(s), or a path on this site."""
    return fields.URL(
        relative=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=[validate.Length(max=500), _on_this_site_or_absolute],
        metadata={"description": description},
        **options,
    )


class Banner(Schema):
    image_url = _address("The image (https, or a path): about 3:1, 1200 by 400.", required=True)
    alt = Text(
        required=True,
        min_length=1,
        max_length=120,
        metadata={"description": "What the image says, for members who cannot see it."},
    )
    link = _address(
        "Where a tap leads: a page of the mall, or https.", allow_none=True, load_default=None
    )


class TenantSettings(Schema):
    id = fields.UUID()
    slug = fields.String(metadata={"description": "The mall's address: /m/<slug>/."})
    name = fields.String()
    locale = fields.String(
        metadata={
            "description": "The language members and staff see unless they ask for another"
            " (Accept-Language), as language[_TERRITORY]: zh_CN, en."
        }
    )
    timezone = fields.String(
        metadata={
            "description": "An IANA time zone: the merchant's days (check-ins, daily caps,"
            " tiers, calendar expiry) begin at its midnight."
        }
    )
    currency = fields.String(
        metadata={"description": "ISO 4217; amounts are in its minor units (fen for CNY)."}
    )
    points_name = fields.String(metadata={"description": "What members call the points."})
    theme = fields.String(metadata={"description": "The mall's storefront theme."})
    brand_color = fields.String(
        allow_none=True,
        metadata={"description": "The mall's colour as #rrggbb; null for the theme's."},
    )
    logo_url = fields.String(
        allow_none=True, metadata={"description": "The mall's logo; null for its name in text."}
    )
    sign_in_methods = fields.List(
        fields.String(),
        metadata={
            "description": "How members sign in to the mall: link (from your app), code"
            " (a one-time code by SMS or email)."
        },
    )
    auto_create_members = fields.Boolean(
        metadata={
            "description": "Whether a sign-in link for a user id not registered yet"
            " registers the member (else the link is refused)."
        }
    )
    code_sign_in_creates_members = fields.Boolean(
        metadata={
            "description": "Whether a correct sign-in code for a phone or email that is no"
            " member's makes a member of it (origin `code`, no external_id: give one with"
            " PATCH /members/{id}, or merge it into yours with POST /members/{id}:merge);"
            " else the visitor is told the address is nobody's here."
        }
    )
    banners = fields.List(
        fields.Nested(Banner),
        metadata={"description": "The home page's banners, in order."},
    )


class TenantSettingsPatch(Schema):
    """Every field optional; what is sent with the value it has is no change."""

    name = Text(min_length=1, max_length=100)
    locale = Text(
        min_length=1,
        max_length=8,
        metadata={"description": "A known locale as language[_TERRITORY]: zh_CN, en, en_US."},
    )
    timezone = Text(min_length=1, max_length=64, metadata={"description": "An IANA time zone."})
    currency = Text(
        min_length=3,
        max_length=3,
        metadata={
            "description": "ISO 4217, one the platform supports. Refused with 409"
            " currency_locked once points or money have moved."
        },
    )
    points_name = Text(min_length=1, max_length=16)
    theme = Text(
        min_length=1,
        max_length=32,
        metadata={"description": "An installed theme: base, classic, fresh, night, or a plugin's."},
    )
    brand_color = fields.String(
        allow_none=True,
        validate=_rgb,
        metadata={
            "description": "#rrggbb; the header and buttons take it, and their text is"
            " white or black, whichever reads better on it."
        },
    )
    logo_url = _address("An image for the mall's header (https, or a path).", allow_none=True)
    sign_in_methods = fields.List(
        fields.String(validate=validate.OneOf(SIGN_IN_METHODS)),
        validate=validate.Length(min=1, max=len(SIGN_IN_METHODS)),
        metadata={"description": "One or both of: link, code."},
    )
    auto_create_members = fields.Boolean()
    code_sign_in_creates_members = fields.Boolean()
    banners = fields.List(
        fields.Nested(Banner),
        validate=validate.Length(max=MAX_BANNERS),
        metadata={"description": f"Up to {MAX_BANNERS}, in order; [] for none."},
    )


class TemplateOverrideIn(Schema):
    source = Text(
        required=True,
        min_length=1,
        max_length=64 * 1024,
        metadata={
            "description": "A Jinja template, rendered in Jinja's sandbox with the page's"
            ' context; `{% extends "theme:home.html" %}` extends the page it replaces.'
        },
    )


class TemplateOverrideOut(Schema):
    name = fields.String()
    version = fields.Integer(metadata={"description": "Grows with each change."})
    updated_at = Instant()
