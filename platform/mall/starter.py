"""A starter catalog: a few everyday rewards a new merchant's mall opens with (the
console's set-up offers it), named in the tenant's language and priced in points for
an earn rate near one point per unit of currency. The merchant edits or replaces them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from jifen.audit import Actor
from jifen.clock import Clock
from jifen.mall import catalog
from jifen.mall.modes import RedeemModes

SAMPLES = "/themes/base/static/samples"  # pictures the base theme ships for demos
# (names by language, fields): physical goods with stock, so redeeming one takes the
# member through the address and the order.
STARTER: tuple[tuple[dict[str, str], dict[str, Any]], ...] = (
    (
        {"zh": "品牌帆布袋", "en": "Canvas tote bag"},
        {"kind": "physical", "images": [f"{SAMPLES}/bag.svg"], "points_price": 800, "stock": 100},
    ),
    (
        {"zh": "保温杯", "en": "Vacuum flask"},
        {"kind": "physical", "images": [f"{SAMPLES}/mug.svg"], "points_price": 1_500, "stock": 50},
    ),
    (
        {"zh": "蓝牙耳机", "en": "Bluetooth earbuds"},
        {
            "kind": "physical",
            "images": [f"{SAMPLES}/headphones.svg"],
            "points_price": 12_000,
            "stock": 10,
        },
    ),
)


def load_starter_catalog(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    locale: str,
    modes: RedeemModes,
    actor: Actor,
    clock: Clock,
) -> list[uuid.UUID]:
    """Put the starter products on sale in the tenant's mall; their ids."""
    language = "zh" if locale.startswith("zh") else "en"
    made = []
    for order, (names, fields) in enumerate(STARTER):
        product = catalog.create_product(
            session,
            tenant_id,
            {**fields, "name": names[language], "status": "active", "sort_order": order},
            modes=modes,
            tiers=[],
            actor=actor,
            clock=clock,
        )
        made.append(product.id)
    return made
