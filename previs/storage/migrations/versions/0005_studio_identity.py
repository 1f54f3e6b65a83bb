"""The studio's identity in its database: the id its data directory's studio.json names, and its events.

Revision ID: 0005_studio_identity
Revises: 0004_storyboard_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_studio_identity"
down_revision = "0004_storyboard_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "studio_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("studio_events")
    op.drop_table("studio_meta")
