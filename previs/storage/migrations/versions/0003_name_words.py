"""The name-word index of the consent registry: a row per performer, label and word key, indexed on the key.

Databases made before it get their performers' words indexed here, with the key function the gate uses
(``previs.consent.names.word_keys``): the stored keys and a request's keys must come from the same function.

Revision ID: 0003_name_words
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from previs.consent.names import word_keys
from previs.storage.repositories import index_name_words

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
    index_name_words(op.get_bind(), word_keys)


def downgrade() -> None:
    op.drop_index("ix_name_words_key", table_name="name_words")
    op.drop_table("name_words")
