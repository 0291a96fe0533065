"""Orders waiting for their cash payment are `awaiting_payment` (were `points_held`):
the provider is called after the order commits, so an order waits for the payment to be
requested as well as paid.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("orders", "order_events")


def _rename(old: str, new: str) -> None:
    for table in TABLES:
        op.execute(
            sa.text(f"UPDATE {table} SET status = :new WHERE status = :old").bindparams(
                old=old, new=new
            )
        )


def upgrade() -> None:
    _rename("points_held", "awaiting_payment")


def downgrade() -> None:
    _rename("awaiting_payment", "points_held")
