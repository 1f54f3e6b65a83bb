"""A project's aspect ratio: the frame shape its storyboards are drawn in unless a board asks for another.

Revision ID: 0009_project_aspect
Revises: 0008_performer_photos
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_project_aspect"
down_revision = "0008_performer_photos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("aspect", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("aspect")
