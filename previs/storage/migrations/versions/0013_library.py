"""The Library tab's filters: indexes on a frame's kind, maker and parent, so a page or a frame's variations
stay one indexed lookup at tens of thousands of frames.

Revision ID: 0013_library
Revises: 0012_ledger_nodes
"""

from alembic import op

revision = "0013_library"
down_revision = "0012_ledger_nodes"
branch_labels = None
depends_on = None

INDEXES = {"ix_frames_kind": "kind", "ix_frames_created_by": "created_by", "ix_frames_parent_id": "parent_id"}


def upgrade() -> None:
    for name, column in INDEXES.items():
        op.create_index(name, "frames", [column])


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="frames")
