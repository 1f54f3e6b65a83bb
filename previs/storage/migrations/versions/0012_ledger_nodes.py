"""The ledger's Merkle tree, persisted: each perfect subtree's hash, so a fresh process proves inclusion from
O(log n) nodes instead of rehashing every row. Older ledgers are backfilled on open (``LogKeeper.backfill``).

Revision ID: 0012_ledger_nodes
Revises: 0011_project_aspect
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_ledger_nodes"
down_revision = "0011_project_aspect"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_nodes")
