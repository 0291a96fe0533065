"""The log's position index holds sequenced events only: every write transaction appends
its events with no position, and each of those appends also wrote an index entry that no
query reads (the unsequenced ones are found through `ix_outbox_events_unsequenced`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQUENCED = sa.text("position IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_events_position", table_name="outbox_events")
    op.create_index(
        "ix_outbox_events_position",
        "outbox_events",
        ["lane", "position"],
        unique=True,
        sqlite_where=_SEQUENCED,
        postgresql_where=_SEQUENCED,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_position", table_name="outbox_events")
    op.create_index("ix_outbox_events_position", "outbox_events", ["lane", "position"], unique=True)
