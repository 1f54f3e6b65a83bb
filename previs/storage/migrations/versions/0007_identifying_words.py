"""Performers' extra identifying words, and the name-word index rebuilt for the canonical matcher.

``performers.identifying`` (JSON, NULL for performers registered before) holds stage names and nicknames. The
index's rows become one per label key with ``alone`` (whether the key names the performer by itself) instead of
``label_keys``; the table is made empty here and filled by the consent registry's re-index on the next open
(``ConsentRegistry.reindex_names``), with the key function the gate uses: the storage layer does not know it.

Revision ID: 0007_identifying_words
Revises: 0006_file_moves
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_identifying_words"
down_revision = "0006_file_moves"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("performers", sa.Column("identifying", sa.JSON(), nullable=True))
    op.drop_index("ix_name_words_key", table_name="name_words")
    op.drop_table("name_words")
    op.create_table(
        "name_words",
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), primary_key=True),
        sa.Column("label", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(201), primary_key=True),
        sa.Column("alone", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_name_words_key", "name_words", ["key"])


def downgrade() -> None:
    op.drop_index("ix_name_words_key", table_name="name_words")
    op.drop_table("name_words")
    op.create_table(
        "name_words",
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), primary_key=True),
        sa.Column("label", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("label_keys", sa.Integer(), nullable=False),
    )
    op.create_index("ix_name_words_key", "name_words", ["key"])
    with op.batch_alter_table("performers") as batch:
        batch.drop_column("identifying")
