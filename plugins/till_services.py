"""The platform's services every redeem mode may ask its till for: "lottery" (auditable
draws and a prize table's stock) and "partners" (partner brands' budgets)."""

from __future__ import annotations

from jifen.hookimpl import hookimpl
from jifen.mall import Budgets, Draws, TillService


@hookimpl
def register_till_services() -> list[TillService]:
    return [TillService("lottery", Draws.for_order), TillService("partners", Budgets.for_order)]
