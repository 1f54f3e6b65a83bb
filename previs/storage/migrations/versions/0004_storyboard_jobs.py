"""Storyboard job claims: one job per (scene, style) at a time, with the owner's heartbeat.

Revision ID: 0004_storyboard_jobs
Revises: 0003_name_words
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_storyboard_jobs"
down_revision = "0003_name_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storyboard_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scene_id", sa.Integer(), sa.ForeignKey("scenes.id"), nullable=False),
        sa.Column("style", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("pid_space", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scene_id", "style", name="uq_storyboard_jobs_scene_style"),
    )


def downgrade() -> None:
    op.drop_table("storyboard_jobs")
