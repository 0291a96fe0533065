"""A lottery's prize table as a form, and the odds it implies.

The table's inputs are named by the path of the mode's settings, under a prefix
(`lottery-prizes-0-weight`, `lottery-consolation`), so that the mode's own refusals
land beside the input they are about. Like the schema forms (jifen.console.form_posts),
two submit buttons edit the table without JavaScript: `_add` (its value the table's
name) adds a blank row, `_remove` (its value a row's name) takes one away; rows left
blank are dropped when the table is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from jifen.console.catalog_inputs import Reader, whole_text
from jifen.console.form_posts import ADD, REMOVE
from jifen.i18n import N_, translate
from jifen.mall.lottery import implied_odds

# As the lottery mode allows (its `Params` schema refuses more).
MAX_PRIZES = 50
PERIODS = {"day": N_("Each day"), "week": N_("Each week")}
FIELDS = ("code", "name", "weight", "stock", "points")
_ROW = re.compile(r"-prizes-([0-9]{1,2})-(?:code|name|weight|stock|points|goods)")


def blank_row() -> dict[str, Any]:
    return {field: "" for field in FIELDS} | {"goods": False}


def starting_table() -> dict[str, Any]:
    """A new lottery's table: two blank rows (a table has at least two prizes)."""
    return {"prizes": [blank_row(), blank_row()], "consolation": "", "period": "day"}


def table_values(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored prize table as its inputs show it."""
    if not params or not isinstance(params.get("prizes"), list):
        return starting_table()
    rows = [
        {
            "code": str(prize.get("code", "")),
            "name": str(prize.get("name", "")),
            "weight": whole_text(prize.get("weight")),
            "stock": whole_text(prize.get("stock")),
            "points": whole_text(prize.get("points")),
            "goods": prize.get("goods") is True,
        }
        for prize in params["prizes"][:MAX_PRIZES]
    ]
    return {
        "prizes": rows,
        "consolation": str(params.get("consolation", "")),
        "period": str(params.get("period", "day")),
    }


@dataclass
class ReadTable:
    """A posted table: its values to show again, and its settings to save (None while
    a row is being added or removed)."""

    values: dict[str, Any]
    params: dict[str, Any] | None


def read_table(reader: Reader, prefix: str) -> ReadTable:
    """The prize table posted under `prefix`, read by `reader` (which keeps the
    problems with the numbers it could not read)."""
    numbers = sorted(
        {
            int(found[1])
            for key in reader.form
            if isinstance(key, str)
            and key.startswith(prefix)
            and (found := _ROW.fullmatch(key, len(prefix)))
            and int(found[1]) < MAX_PRIZES
        }
    )
    removed = reader.form.get(REMOVE)
    rows: list[dict[str, Any]] = []
    settings: list[dict[str, Any]] = []
    for number in numbers:
        name = f"{prefix}-prizes-{number}"
        if removed == name:
            continue
        row, prize = _read_row(reader, name, f"{prefix}-prizes-{len(rows)}")
        if not _blank(row) or removed is not None or reader.form.get(ADD) is not None:
            rows.append(row)
            settings.append(prize)
    editing = reader.form.get(ADD) == f"{prefix}-prizes" or removed is not None
    if reader.form.get(ADD) == f"{prefix}-prizes" and len(rows) < MAX_PRIZES:
        rows.append(blank_row())
    values = {
        "prizes": rows,
        "consolation": reader.text(f"{prefix}-consolation").strip(),
        "period": reader.text(f"{prefix}-period").strip(),
    }
    if editing:
        return ReadTable(values, None)
    params = {"prizes": settings, "consolation": values["consolation"], "period": values["period"]}
    return ReadTable(values, params)


def _read_row(reader: Reader, posted: str, shown: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A row posted as `posted`, whose problems are kept under `shown` (its place once
    the rows before it that were removed or left blank are gone)."""
    row: dict[str, Any] = {}
    numbers: dict[str, int | None] = {}
    for field in FIELDS:
        if field in ("weight", "stock", "points"):
            numbers[field] = reader.whole(f"{posted}-{field}")
        row[field] = reader.text(f"{posted}-{field}").strip()
        if posted != shown and f"{posted}-{field}" in reader.problems:
            reader.problems[f"{shown}-{field}"] = reader.problems.pop(f"{posted}-{field}")
    row["goods"] = reader.checked(f"{posted}-goods")
    # Left blank, a required setting is left out, so that the mode says it is missing.
    prize: dict[str, Any] = {"stock": numbers["stock"], "goods": row["goods"]}
    prize |= {field: row[field] for field in ("code", "name") if row[field]}
    prize |= {f: numbers[f] for f in ("weight", "points") if numbers[f] is not None}
    return row, prize


def _blank(row: Mapping[str, Any]) -> bool:
    return not row["goods"] and not any(row[field] for field in FIELDS)


@dataclass(frozen=True)
class OddsView:
    """The odds of a table as a page shows them: a row per prize (its name, chance as
    a percentage, points, whether it is the product, stock), the points a draw gives
    back on average against its price, and a pie chart of the chances."""

    rows: list[tuple[str, str, str, str, str]]
    points_per_draw: str
    goods_chance: str
    price: int
    chart: dict[str, Any]

    @property
    def figures(self) -> list[tuple[str, str]]:
        """The chart's figures: each prize and its chance."""
        return [(row[0], row[1]) for row in self.rows]


def odds_view(params: Mapping[str, Any], price: int) -> OddsView:
    """The odds of a loaded (valid) prize table for a draw costing `price` points."""
    odds = implied_odds(params["prizes"])
    yes, no = translate(N_("Yes")), translate(N_("No"))
    unlimited = translate(N_("Unlimited"))
    rows = [
        (
            prize.name,
            _percent(prize.chance),
            str(prize.points),
            yes if prize.goods else no,
            unlimited if prize.stock is None else str(prize.stock),
        )
        for prize in odds.prizes
    ]
    chart = {
        "tooltip": {"trigger": "item", "formatter": "{b}: {d}%"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "70%"],
                "data": [{"name": prize.name, "value": prize.weight} for prize in odds.prizes],
                "label": {"formatter": "{b}\n{d}%"},
            }
        ],
    }
    per_draw = odds.points_per_draw.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return OddsView(rows, str(per_draw), _percent(odds.goods_chance), price, chart)


def _percent(share: Decimal) -> str:
    """A share as a percentage with two decimals (0.125 as "12.50%")."""
    return f"{(share * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN)}%"
