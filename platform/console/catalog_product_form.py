"""A product's form: every kind with its terms (a coupon's, a service voucher's) and
every redemption mode with its settings, read into the fields `jifen.mall.catalog`
takes and checked by the API's own schema and the mode's.

Each mode's settings are a section of their own, their inputs named `mode-<name>-...`:
the lottery's prize table (jifen.console.catalog_prizes), the co-branded item's
partner and cost share, and for any other installed mode a form generated from its
`Params` schema (jifen.console.schema_forms). Without JavaScript every section shows
and only the chosen kind's and mode's inputs are read; the console's script shows only
those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from marshmallow import Schema, ValidationError

from jifen.console import catalog_prizes
from jifen.console.catalog_inputs import (
    MAX_SHOWN,
    Reader,
    local_text,
    money_text,
    problems_in,
    whole_text,
)
from jifen.console.form_posts import ADD, REMOVE
from jifen.console.schema_forms import RuleForm
from jifen.errors import JifenError
from jifen.i18n import N_, Message
from jifen.mall import schemas
from jifen.mall.models import PRODUCT_KINDS, PRODUCT_STATUSES, Category, Partner, Product
from jifen.mall.modes import RedeemModes
from jifen.members import TierView

KINDS = {
    "physical": N_("Physical goods"),
    "virtual": N_("Virtual codes"),
    "coupon": N_("Coupon"),
    "service": N_("Service voucher"),
}
STATUSES = {"draft": N_("Draft"), "active": N_("On sale"), "archived": N_("Archived")}
# The built-in modes' names in the catalogs; another plugin's mode shows its own title.
MODE_LABELS = {
    "exchange": N_("Points exchange"),
    "lottery": N_("Lottery draw"),
    "points_cash": N_("Points plus cash"),
    "co_branded": N_("Co-branded (partner-funded)"),
}
COUPON_TYPES = {
    "amount_off": N_("Amount off"),
    "percent_off": N_("Percent off"),
    "free_shipping": N_("Free shipping"),
}
# The modes whose settings have an editor of their own here; any other is generated.
LOTTERY, CO_BRANDED = "lottery", "co_branded"
# The product's own inputs (each mode's settings are read apart).
TEXTS = (
    "name",
    "kind",
    "description",
    "category_id",
    "points_price",
    "stock",
    "status",
    "tags",
    "listed_from",
    "listed_until",
    "limit_per_day",
    "limit_per_week",
    "limit_ever",
    "sort_order",
    "min_tier",
    "mode",
    "cash_price",
    "coupon-type",
    "coupon-amount_off",
    "coupon-percent_off",
    "coupon-threshold",
    "coupon-valid_days",
    "service-booking_url",
    "service-valid_days",
)
REQUIRED = ("kind", "mode", "points_price", "status")
assert set(KINDS) == set(PRODUCT_KINDS) and set(STATUSES) == set(PRODUCT_STATUSES)


def settings_prefix(mode: str) -> str:
    """The name the inputs of a mode's settings start with."""
    return f"mode-{mode}"


def mode_label(modes: RedeemModes, name: str) -> str:
    """A mode's name in the reader's language (a plugin's own mode: its title)."""
    if name in MODE_LABELS:
        return Message(MODE_LABELS[name]).translated()
    return modes.get(name).title if name in modes.names() else name


@dataclass(frozen=True)
class Choices:
    """What the form's selects offer: the tenant's categories (in tree order, with
    their depth), tiers and partners."""

    categories: list[tuple[Category, int]]
    tiers: list[TierView]
    partners: list[Partner]


@dataclass(frozen=True)
class ModeSection:
    """One mode's part of the form: its name, label, whether it takes a cash price,
    and how its settings are edited (`lottery`, `co_branded`, `schema` or `none`;
    `form` is a generated one, bound)."""

    name: str
    label: str
    takes_cash: bool
    editor: str
    form: Any = None


@dataclass
class Posted:
    """A posted form: the values to show it again, the product's fields to save (None
    unless they passed), problems by input, and whether a button only edited it (a
    row of settings added or removed)."""

    values: dict[str, Any]
    data: dict[str, Any] | None
    problems: dict[str, str]
    editing: bool = False


class ProductForm:
    """The form of a new product (`product` None) or of one to change."""

    def __init__(
        self,
        *,
        currency: str,
        zone: tzinfo,
        modes: RedeemModes,
        choices: Choices,
        product: Product | None = None,
    ) -> None:
        self.currency = currency
        self.zone = zone
        self.modes = modes
        self.choices = choices
        self.product = product

    # -- showing ------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The inputs' texts: the product's, or a new product's defaults."""
        product = self.product
        if product is None:
            values: dict[str, Any] = dict.fromkeys(TEXTS, "")
            values |= {"kind": "physical", "status": "draft", "sort_order": "0"}
            values |= {"mode": "exchange", "coupon-type": "amount_off", "images": []}
            values |= {f"discount-{tier.code}": "" for tier in self.choices.tiers}
            return values | self._mode_values(None)
        values = {
            "name": product.name,
            "kind": product.kind,
            "description": product.description,
            "category_id": str(product.category_id) if product.category_id else "",
            "points_price": str(product.points_price),
            "stock": whole_text(product.stock),
            "status": product.status,
            "tags": ", ".join(product.tags),
            "listed_from": local_text(product.listed_from, self.zone),
            "listed_until": local_text(product.listed_until, self.zone),
            "limit_per_day": whole_text(product.limit_per_day),
            "limit_per_week": whole_text(product.limit_per_week),
            "limit_ever": whole_text(product.limit_ever),
            "sort_order": str(product.sort_order),
            "min_tier": product.min_tier or "",
            "mode": product.mode,
            "cash_price": money_text(product.cash_price, product.currency),
            "images": list(product.images),
        }
        values |= _coupon_values(product.fulfilment.get("coupon") or {}, self.currency)
        values |= _service_values(product.fulfilment.get("service") or {})
        discounts = product.tier_discounts or {}
        values |= {
            f"discount-{tier.code}": whole_text(discounts.get(tier.code))
            for tier in self.choices.tiers
        }
        return values | self._mode_values(product)

    def _mode_values(self, product: Product | None) -> dict[str, Any]:
        """Each mode's settings as shown, by prefix: the product's own for its mode,
        the defaults for the others."""
        values: dict[str, Any] = {}
        for name in self.modes.names():
            own = product is not None and product.mode == name
            values[settings_prefix(name)] = self._settings_values(
                name, product.mode_params if product is not None and own else None
            )
        return values

    def _settings_values(self, name: str, params: Mapping[str, Any] | None) -> Any:
        if name == LOTTERY:
            return catalog_prizes.table_values(params)
        if name == CO_BRANDED:
            partner_id = str((params or {}).get("partner_id") or "")
            partner = self._partner(partner_id)
            share = (params or {}).get("cost_share")
            return {
                "partner_id": partner_id,
                "cost_share": money_text(share, partner.currency if partner else None),
            }
        form = self._generated(name)
        return self.modes.isolate(name, "Params form", form.values_from, params)

    def sections(self, values: Mapping[str, Any], problems: Mapping[str, str]) -> list[ModeSection]:
        """Every installed mode's section of the form, showing `values` and `problems`;
        the built-in modes first."""
        found = []
        for name in sorted(self.modes.names(), key=lambda n: (n not in MODE_LABELS, n)):
            mode = self.modes.get(name)
            label = mode_label(self.modes, name)
            if name in (LOTTERY, CO_BRANDED):
                found.append(ModeSection(name, label, mode.takes_cash, name))
                continue
            form = self._generated(name)
            if not form.fields:
                found.append(ModeSection(name, label, mode.takes_cash, "none"))
                continue
            prefix = settings_prefix(name)
            errors = {key: [text] for key, text in problems.items() if key.startswith(prefix)}
            bound = self.modes.isolate(name, "Params form", form.bind, values.get(prefix), errors)
            found.append(ModeSection(name, label, mode.takes_cash, "schema", bound))
        return found

    def _generated(self, name: str) -> RuleForm:
        schema: type[Schema] = self.modes.get(name).Params
        return RuleForm(schema, self.currency, zone=self.zone, prefix=settings_prefix(name))

    def _partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.choices.partners if str(p.id) == partner_id), None)

    # -- reading -----------------------------------------------------------------------

    def read(self, form: Mapping[str, Any], removed_images: list[str]) -> Posted:
        """A post of the form, checked as the API checks a product. Images are kept but
        for `removed_images`; new ones are added by the caller once the rest passed."""
        reader = Reader(form, zone=self.zone, currency=self.currency)
        kind = reader.choice("kind", KINDS)
        mode = reader.choice("mode", self.modes.names())
        data = self._fields(reader, kind, mode)
        kept = [
            path
            for path in (self.product.images if self.product else [])
            if path not in removed_images
        ]
        data["images"] = kept
        values = self._as_typed(form) | {"images": kept}
        settings: dict[str, Any] = {}
        if mode is not None:
            settings, values[settings_prefix(mode)] = self._read_settings(mode, form, reader)
        data["mode_params"] = settings
        if _edits_rows(form):
            return Posted(values, None, {}, editing=True)
        loaded, problems = self._checked(data, mode)
        problems |= reader.problems
        return Posted(values, None if problems else loaded, problems)

    def _as_typed(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """Every input of the product (all kinds' terms too) as it was posted, to show
        the form again; each mode's settings as the defaults (the chosen one's are read)."""
        values = self.values()
        for name in [*TEXTS, *(f"discount-{tier.code}" for tier in self.choices.tiers)]:
            posted = form.get(name, "")
            values[name] = posted[:MAX_SHOWN] if isinstance(posted, str) else ""
        return values | self._mode_values(None)

    def _fields(self, reader: Reader, kind: str | None, mode: str | None) -> dict[str, Any]:
        """The product's fields but its images and its mode's settings, as the API's
        schema takes them (instants as ISO text, ids as text)."""
        data: dict[str, Any] = {"kind": kind, "mode": mode}
        name, description = reader.text("name"), reader.text("description")
        if name.strip():  # left blank, the schema says it is missing
            data["name"] = name
        data["description"] = description
        data["category_id"] = reader.text("category_id").strip() or None
        data["points_price"] = reader.whole("points_price")
        data["tags"] = _tags(reader.text("tags"))
        for field in ("listed_from", "listed_until"):
            moment = reader.moment(field)
            data[field] = moment.isoformat() if moment is not None else None
        for field in ("limit_per_day", "limit_per_week", "limit_ever"):
            data[field] = reader.whole(field)
        sort_order = reader.whole("sort_order")
        data["sort_order"] = sort_order if sort_order is not None else 0
        data["min_tier"] = reader.text("min_tier").strip() or None
        discounts = {
            tier.code: reader.whole(f"discount-{tier.code}") for tier in self.choices.tiers
        }
        chosen = {code: percent for code, percent in discounts.items() if percent is not None}
        data["tier_discounts"] = chosen or None
        data["coupon"] = _coupon(reader) if kind == "coupon" else None
        data["service"] = _service(reader) if kind == "service" else None
        if self.product is None:
            data["status"] = reader.choice("status", STATUSES)
            data["stock"] = reader.whole("stock") if kind != "virtual" else None
        takes_cash = mode is not None and self.modes.get(mode).takes_cash
        data["cash_price"] = reader.money("cash_price") if takes_cash else None
        data["currency"] = self.currency if data["cash_price"] is not None else None
        return data

    def _read_settings(
        self, mode: str, form: Mapping[str, Any], reader: Reader
    ) -> tuple[dict[str, Any], Any]:
        """The chosen mode's settings as posted, and their values to show again."""
        prefix = settings_prefix(mode)
        if mode == LOTTERY:
            table = catalog_prizes.read_table(reader, prefix)
            return table.params or {}, table.values
        if mode == CO_BRANDED:
            partner_id = reader.text(f"{prefix}-partner_id").strip()
            partner = self._partner(partner_id)
            share = reader.money(f"{prefix}-cost_share", partner.currency if partner else None)
            shown = {"partner_id": partner_id, "cost_share": reader.values[f"{prefix}-cost_share"]}
            settings: dict[str, Any] = {"partner_id": partner_id} if partner_id else {}
            return settings | ({"cost_share": share} if share is not None else {}), shown
        parsed = self.modes.isolate(mode, "Params form", self._generated(mode).parse, form)
        for key, messages in parsed.errors.items():
            reader.problems.setdefault(key or prefix, " ".join(messages))
        return parsed.params or {}, parsed.values

    def _checked(
        self, data: dict[str, Any], mode: str | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The fields as the API's schema loads them (the mode's settings as posted:
        the service loads them), and what the schema and the mode say about them."""
        schema: Schema = schemas.ProductIn() if self.product is None else schemas.ProductFields()
        loaded: dict[str, Any] = {}
        problems: dict[str, str] = {}
        try:
            loaded = schema.load(_without_missing(data))
        except ValidationError as refused:
            problems = problems_in(refused.messages)
        if mode is not None:
            try:
                self.modes.parse(mode, data["mode_params"])
            except JifenError as refused:
                problems |= settings_problems(refused, mode)
        return loaded | {"mode_params": data["mode_params"]}, problems


def settings_problems(refused: JifenError, mode: str) -> dict[str, str]:
    """A refusal of a mode's settings by input (its own message on the mode's section
    where it names no setting)."""
    details = refused.details if isinstance(refused.details, Mapping) else {}
    inner = details.get("mode_params")
    found = problems_in(inner, prefix=settings_prefix(mode)) if inner is not None else {}
    return found or {settings_prefix(mode): refused.translated()}


def _edits_rows(form: Mapping[str, Any]) -> bool:
    """Whether a button that adds or removes a row of settings sent the form."""
    return any(
        isinstance(key, str) and (key in (ADD, REMOVE) or key.endswith((f"-{ADD}", f"-{REMOVE}")))
        for key in form
    )


def _without_missing(data: dict[str, Any]) -> dict[str, Any]:
    """The fields, a required one left blank left out (the schema says it is missing)."""
    return {k: v for k, v in data.items() if not (v is None and k in REQUIRED)}


def _tags(text: str) -> list[str]:
    """Tags typed as a list: separated by commas (either width) or new lines."""
    split = text.replace("，", ",").replace("\n", ",").split(",")
    return [tag.strip() for tag in split if tag.strip()]


def _coupon(reader: Reader) -> dict[str, Any]:
    terms = {
        "type": reader.text("coupon-type").strip(),
        "amount_off": reader.money("coupon-amount_off"),
        "percent_off": reader.whole("coupon-percent_off"),
        "threshold": reader.money("coupon-threshold"),
        "valid_days": reader.whole("coupon-valid_days"),
    }
    return {key: value for key, value in terms.items() if value not in (None, "")}


def _service(reader: Reader) -> dict[str, Any]:
    terms = {
        "booking_url": reader.text("service-booking_url").strip(),
        "valid_days": reader.whole("service-valid_days"),
    }
    return {key: value for key, value in terms.items() if value not in (None, "")}


def _coupon_values(terms: Mapping[str, Any], currency: str) -> dict[str, str]:
    threshold = terms.get("threshold")
    return {
        "coupon-type": str(terms.get("type", "amount_off")),
        "coupon-amount_off": money_text(terms.get("amount_off"), currency),
        "coupon-percent_off": whole_text(terms.get("percent_off")),
        "coupon-threshold": money_text(threshold, currency) if threshold else "",
        "coupon-valid_days": whole_text(terms.get("valid_days")),
    }


def _service_values(terms: Mapping[str, Any]) -> dict[str, str]:
    return {
        "service-booking_url": str(terms.get("booking_url", "")),
        "service-valid_days": whole_text(terms.get("valid_days")),
    }
