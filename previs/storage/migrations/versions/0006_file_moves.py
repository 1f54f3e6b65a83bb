"""The journal of withdrawn frames' file moves, carried out after the withdrawing transaction commits.

Revision ID: 0006_file_moves
Revises: 0005_studio_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_file_moves"
down_revision = "0005_studio_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "file_moves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("frames.id"), nullable=False, index=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("file_moves")
