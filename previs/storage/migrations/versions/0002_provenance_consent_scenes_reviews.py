"""Ledger, consent registry, scenes and shots, reviews; frames learn their scene and shot.

Revision ID: 0002
Revises: 0001
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[dt.datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "scenes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("int_ext", sa.String(20), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("time_of_day", sa.String(100), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("characters", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("dialogue", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "number"),
    )
    op.create_table(
        "shots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scene_id", sa.Integer(), sa.ForeignKey("scenes.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("size", sa.String(40), nullable=False),
        sa.Column("angle", sa.String(40), nullable=False),
        sa.Column("dialogue", sa.Text(), nullable=False),
        sa.UniqueConstraint("scene_id", "position"),
    )
    with op.batch_alter_table("frames") as frames:
        frames.add_column(sa.Column("scene_id", sa.Integer(), nullable=True))
        frames.add_column(sa.Column("shot_id", sa.Integer(), nullable=True))
        frames.create_foreign_key("fk_frames_scene_id", "scenes", ["scene_id"], ["id"])
        frames.create_foreign_key("fk_frames_shot_id", "shots", ["shot_id"], ["id"])
        frames.create_index("ix_frames_scene_id", ["scene_id"])
        frames.create_index("ix_frames_shot_id", ["shot_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sequence", sa.Integer(), nullable=False, unique=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("frames.id"), nullable=True, index=True),
        sa.Column("frame_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("pixel_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "performers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("agent", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _created_at(),
    )
    op.create_table(
        "consent_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), nullable=False, index=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.Column("evidence_path", sa.Text(), nullable=True),
        sa.Column("evidence_type", sa.String(100), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        _created_at(),
    )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("grant_id", sa.Integer(), sa.ForeignKey("consent_grants.id"), nullable=True, index=True),
        sa.Column("performer_id", sa.Integer(), sa.ForeignKey("performers.id"), nullable=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _created_at(),
    )
    op.create_table(
        "frame_consents",
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("frames.id"), primary_key=True),
        sa.Column("grant_id", sa.Integer(), sa.ForeignKey("consent_grants.id"), primary_key=True, index=True),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("frame_id", sa.Integer(), sa.ForeignKey("frames.id"), nullable=False, index=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        _created_at(),
    )


def downgrade() -> None:
    for table in ("reviews", "frame_consents", "consent_events", "consent_grants", "performers", "ledger_entries"):
        op.drop_table(table)
    with op.batch_alter_table("frames") as frames:
        frames.drop_index("ix_frames_shot_id")
        frames.drop_index("ix_frames_scene_id")
        frames.drop_constraint("fk_frames_shot_id", type_="foreignkey")
        frames.drop_constraint("fk_frames_scene_id", type_="foreignkey")
        frames.drop_column("shot_id")
        frames.drop_column("scene_id")
    op.drop_table("shots")
    op.drop_table("scenes")
