"""The name-word index of the consent registry: a row per performer, label and word key, indexed on the key.

The table only: its rows are written by the consent registry (``ConsentRegistry.reindex_names`` on open, for
databases made before it), so the stored keys come from the same function as a request's keys. Migration 0007
gives it its current shape.

Revision ID: 0003_name_words
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_name_words"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "name_words",
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), primary_key=True),
        sa.Column("label", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("label_keys", sa.Integer(), nullable=False),
    )
    op.create_index("ix_name_words_key", "name_words", ["key"])


def downgrade() -> None:
    op.drop_index("ix_name_words_key", table_name="name_words")
    op.drop_table("name_words")
