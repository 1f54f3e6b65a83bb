"""A project's aspect ratio: the frame shape its storyboards are drawn in unless a board asks for another.

Revision ID: 0011_project_aspect
Revises: 0010_soft_binding
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_project_aspect"
down_revision = "0010_soft_binding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("aspect", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("aspect")
