"""Memos the platform writes keep their message: an entry's or hold's `memo_message`
holds the message id and parameters of its memo ("lottery prize: %(prize)s"), so an
entry is shown in the reader's language; `memo` keeps the text as written (English).

Rows written before this revision, and memos a person typed, have no message: they
read as written.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import Json

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("entries", "holds")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("memo_message", Json, nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "memo_message")
