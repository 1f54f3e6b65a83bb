"""Soft binding: every frame's ISCC image code (and its centre crops') as four indexed 16-bit bands.

Revision ID: 0010_soft_binding
Revises: 0009_camera_blocks
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_soft_binding"
down_revision = "0009_camera_blocks"
branch_labels = None
depends_on = None

_INDEXED = ("frame_id", "band0", "band1", "band2", "band3")


def upgrade() -> None:
    op.create_table(
        "soft_bindings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("frames.id"), nullable=False),
        sa.Column("crop", sa.Integer(), nullable=False),
        *(sa.Column(f"band{index}", sa.Integer(), nullable=False) for index in range(4)),
    )
    for column in _INDEXED:
        op.create_index(f"ix_soft_bindings_{column}", "soft_bindings", [column])


def downgrade() -> None:
    for column in _INDEXED:
        op.drop_index(f"ix_soft_bindings_{column}", table_name="soft_bindings")
    op.drop_table("soft_bindings")
