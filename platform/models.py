"""Imports every model module, so Base.metadata knows every table."""

from __future__ import annotations


def load_all() -> None:
    from jifen import audit, idempotency  # noqa: F401
    from jifen.finance import models as finance  # noqa: F401
    from jifen.ledger import models as ledger  # noqa: F401
    from jifen.mall import models as mall  # noqa: F401
    from jifen.members import models as members  # noqa: F401
    from jifen.outbox import models as outbox  # noqa: F401
    from jifen.rules import models as rules  # noqa: F401
    from jifen.tenants import models as tenants  # noqa: F401
