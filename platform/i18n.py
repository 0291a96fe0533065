"""Text a client reads, in the reader's language: message ids, catalogs and rendering.

What the platform tells a client (an error's message, an award's reason) is written in
the code as a message id: the English text, marked with `N_` so that `pybabel extract`
finds it, with named `%(name)s` parameters. It is kept as the id and its parameters and
rendered only when read, in the reader's language (`Accept-Language`, else the tenant's
locale), from the catalogs under `translations/` (a `.po` per locale and its compiled
`.mo`, both committed, in a folder named as Babel names the locale: zh_CN's is
zh_Hans_CN; tests/test_i18n.py fails when a catalog lacks a message the code
uses or its `.mo` is stale). An id no catalog has, an outside plugin's, reads as written
with its parameters filled in. Outside a request, what is told in a given language (a
notice to a member, in the tenant's) is rendered with `translate_in`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask_babel
from babel import Locale, support
from babel.numbers import format_currency, get_currency_precision
from flask import g, has_request_context

# The locales with a catalog (JIFEN_DEFAULT_LOCALE and a tenant's locale pick among them).
LOCALES = ("zh_CN", "en")
CATALOGS = Path(__file__).parent / "translations"


def N_(message_id: str) -> str:
    """Marks `message_id` for the catalogs and returns it unchanged: text translated
    when it is read, not where it is written."""
    return message_id


def as_written(message_id: str, params: Mapping[str, Any]) -> str:
    """The message in its own words (English) with its parameters: for logs."""
    return message_id % params if params else message_id


def translate(message_id: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in the current request's language; outside a request (commands,
    jobs) as written."""
    if not has_request_context():
        return as_written(message_id, params or {})
    return as_written(_request_catalog().gettext(message_id), params or {})


def _request_catalog() -> support.NullTranslations:
    """The catalog of the request's language, looked up once per request: an answer
    translates each of its error's details, and Flask-Babel's `gettext` finds the
    catalog anew for every message."""
    found: support.NullTranslations | None = g.get("jifen_catalog")
    if found is None:
        found = g.jifen_catalog = catalog(str(flask_babel.get_locale()))
    return found


@functools.cache
def catalog(locale: str) -> support.NullTranslations:
    """The compiled catalog of one of our locales (Babel's name for it, as
    `Locale.parse` gives: zh_Hans_CN), read from disk once per process."""
    return support.Translations.load(CATALOGS, [Locale.parse(locale)])


def catalog_locale(locale: str | None) -> str | None:
    """The locale of ours in `locale`'s language (zh_Hans_CN and zh_TW read zh_CN,
    en_US reads en), or None when no catalog speaks it."""
    language = (locale or "").replace("-", "_").split("_")[0].lower()
    return next((ours for ours in LOCALES if ours.split("_")[0] == language), None)


def translate_in(locale: str, message_id: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in `locale`'s language, outside any request: what the platform tells
    a member in the tenant's language (a notice the relay sends). A language no catalog
    speaks reads as written, in English."""
    ours = catalog_locale(locale)
    if ours is None:
        return as_written(message_id, params or {})
    return as_written(catalog(str(Locale.parse(ours))).gettext(message_id), params or {})


class Message(str):
    """A message id and its parameters, kept as data and rendered when read.

    It is a `str`, its text as written (English), so that it reads, logs and compares
    like the text it stands for; `translated()` renders it in the reader's language.
    Parameters are JSON values (strings and integers; amounts of money already as text),
    so that the message can be stored and rendered years later in another language.
    """

    id: str
    params: Mapping[str, Any]

    def __new__(cls, message_id: str, params: Mapping[str, Any] | None = None) -> Message:
        given = dict(params or {})
        message = super().__new__(cls, as_written(message_id, given))
        message.id, message.params = message_id, given
        return message

    def translated(self) -> str:
        """In the current request's language."""
        return translate(self.id, self.params)

    def data(self) -> dict[str, Any]:
        """As JSON, to store."""
        return {"id": self.id, "params": dict(self.params)}

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Message:
        """The message stored as `data`."""
        return cls(data["id"], data.get("params") or {})


def format_money(minor: int, currency: str, locale: str | Locale) -> str:
    """An amount in integer minor units as `locale` writes it (¥12.50, CN¥12.50)."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale=locale)
