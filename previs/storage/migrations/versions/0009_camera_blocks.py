"""Shots carry a camera block (lens in mm, movement, characters in frame) and whether a user edited them.

Existing shots get the lens their size defaults to (the table below is frozen here: later changes to the
defaults do not rewrite old rows), movement "static", no characters, and count as not edited.

Revision ID: 0009_camera_blocks
Revises: 0008_performer_photos
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_camera_blocks"
down_revision = "0008_performer_photos"
branch_labels = None
depends_on = None

_LENS_BY_SIZE = {"extreme wide": 18, "wide": 24, "full": 35, "medium": 50, "medium close-up": 65,
                 "close-up": 85, "extreme close-up": 100, "insert": 100}


def upgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        batch.add_column(sa.Column("lens_mm", sa.Integer(), nullable=False, server_default="50"))
        batch.add_column(sa.Column("movement", sa.String(40), nullable=False, server_default="static"))
        batch.add_column(sa.Column("characters", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("edited", sa.Boolean(), nullable=False, server_default=sa.false()))
    shots = sa.table("shots", sa.column("size", sa.String()), sa.column("lens_mm", sa.Integer()))
    for size, lens in _LENS_BY_SIZE.items():
        op.execute(shots.update().where(shots.c.size == size).values(lens_mm=lens))


def downgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        for column in ("edited", "characters", "movement", "lens_mm"):
            batch.drop_column(column)
