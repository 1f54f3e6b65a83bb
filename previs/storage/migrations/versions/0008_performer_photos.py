"""Performers' reference photos: the face descriptor the consent gate matches faces in pictures against.

Revision ID: 0008_performer_photos
Revises: 0007_identifying_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_performer_photos"
down_revision = "0007_identifying_words"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "performer_photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("descriptor", sa.LargeBinary(), nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("performer_id", "sha256"),
    )
    op.create_index("ix_performer_photos_performer_id", "performer_photos", ["performer_id"])

def downgrade() -> None:
    op.drop_index("ix_performer_photos_performer_id", table_name="performer_photos")
    op.drop_table("performer_photos")
