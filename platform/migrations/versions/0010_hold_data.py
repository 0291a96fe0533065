"""Holds carry data, as entries do: a pending earn keeps what its points are made of
(per rule and per purchase line), so a refund within the return window reads it from
the ledger rather than from the event's stored answer.

Earnings posted before this revision carry no breakdown: a refund of one takes back in
proportion to the money refunded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import Json

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("holds", sa.Column("data", Json, nullable=True))


def downgrade() -> None:
    op.drop_column("holds", "data")
