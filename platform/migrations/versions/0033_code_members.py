"""Members a code sign-in makes, and members merged into others: a tenant's choice to
make them; a member's origin, an external id that may be missing (the mall's own
members have none until the merchant gives one), the member a merged one went to, and
the lot a merge moved a lot's points from (indexed: a reversal follows them).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jifen.types import ID, UTCDateTime

revision: str = "0033"
down_revision: str | Sequence[str] | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column(
            "code_sign_in_creates_members", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    # On SQLite the table is rebuilt (a column cannot lose NOT NULL there).
    with op.batch_alter_table("members") as table:
        table.alter_column("external_id", existing_type=sa.String(128), nullable=True)
        table.add_column(
            sa.Column("origin", sa.String(8), nullable=False, server_default="merchant")
        )
        table.add_column(sa.Column("merged_into", ID, nullable=True))
        table.add_column(sa.Column("merged_at", UTCDateTime, nullable=True))
        table.create_foreign_key(
            "fk_members_merged_into",
            "members",
            ["tenant_id", "merged_into"],
            ["tenant_id", "id"],
        )
    with op.batch_alter_table("lots") as table:
        table.add_column(sa.Column("moved_from", ID, nullable=True))
        table.create_foreign_key(
            "fk_lots_moved_from", "lots", ["tenant_id", "moved_from"], ["tenant_id", "id"]
        )
        table.create_index(
            "ix_lots_moved_from",
            ["tenant_id", "moved_from"],
            postgresql_where=sa.text("moved_from IS NOT NULL"),
            sqlite_where=sa.text("moved_from IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("lots") as table:
        table.drop_index(
            "ix_lots_moved_from",
            postgresql_where=sa.text("moved_from IS NOT NULL"),
            sqlite_where=sa.text("moved_from IS NOT NULL"),
        )
        table.drop_constraint("fk_lots_moved_from", type_="foreignkey")
        table.drop_column("moved_from")
    # The mall's own members get an id of the member's own, as erased ones have.
    own = "id::text" if op.get_bind().dialect.name == "postgresql" else "lower(hex(id))"
    op.execute(f"UPDATE members SET external_id = 'code:' || {own} WHERE external_id IS NULL")
    with op.batch_alter_table("members") as table:
        table.drop_constraint("fk_members_merged_into", type_="foreignkey")
        table.drop_column("merged_at")
        table.drop_column("merged_into")
        table.drop_column("origin")
        table.alter_column("external_id", existing_type=sa.String(128), nullable=False)
    op.drop_column("tenants", "code_sign_in_creates_members")
