"""SQLAlchemy table definitions. Schema changes go with a numbered Alembic migration in ``migrations/``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from previs.errors import InvalidRequest


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in UTC, read back zone-aware from every database.

    SQLite keeps no zone and PostgreSQL answers in the session's zone; this column type writes UTC and reads
    UTC, so no code above storage ever normalises a datetime again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")  # ConsentGrant → Consent Grant


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _check_lengths(mapper: Mapper[Any], _connection: Connection, row: Base) -> None:
    """Refuse text longer than its column, on every back end and before any SQL is sent.

    PostgreSQL enforces ``String(n)`` (and its error quotes the statement), SQLite ignores it and stores anything:
    checked here, both refuse the same value with the same one-line message naming the field.
    """
    for column in mapper.columns:
        limit = getattr(column.type, "length", None)
        value = getattr(row, column.key, None)
        if isinstance(column.type, String) and limit and isinstance(value, str) and len(value) > limit:
            field = f"{_WORD_START.sub(' ', mapper.class_.__name__)} {column.key}".replace("_", " ").lower()
            raise InvalidRequest(f"{field} is {len(value)} characters long, at most {limit} fit: shorten it")


class Project(Base):
    """A production; frames, scenes and consent grants belong to one."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    aspect: Mapped[str | None] = mapped_column(String(10), nullable=True)  # None: the default (1:1)

    frames: Mapped[list[Frame]] = relationship(back_populates="project")


class Frame(Base):
    """One generated image: its file (by sha256) and the complete record of how it was made."""

    __tablename__ = "frames"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the decoded pixels: the picture itself
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # of the stored file, record included
    path: Mapped[str] = mapped_column(Text)  # relative to the data directory
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(300))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("frames.id"), default=None, index=True)
    created_by: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    status: Mapped[str] = mapped_column(String(30), default="active")  # active | consent_withdrawn
    scene_id: Mapped[int | None] = mapped_column(ForeignKey("scenes.id"), default=None, index=True)
    shot_id: Mapped[int | None] = mapped_column(ForeignKey("shots.id"), default=None, index=True)

    project: Mapped[Project] = relationship(back_populates="frames")
    grants: Mapped[list[ConsentGrant]] = relationship(secondary="frame_consents", viewonly=True)


class LedgerRow(Base):
    """One hash-chained provenance entry (see ``previs.provenance.ledger``); rows are only ever appended."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    frame_id: Mapped[int | None] = mapped_column(ForeignKey("frames.id"), default=None, index=True)
    frame_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pixel_sha256: Mapped[str] = mapped_column(String(64), index=True)
    record_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class LedgerNode(Base):
    """A perfect subtree's hash in the ledger's RFC 9162 Merkle tree: level 0 holds the leaves, node
    (``level``, ``position``) covers leaves [position·2^level, (position+1)·2^level). Written in the transaction
    that appends the entries it covers, so a fresh process proves inclusion reading O(log n) nodes."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))  # hex


class FileMove(Base):
    """A withdrawn frame's file still to take out of reach: renamed to ``target``, or deleted when it is None.

    Written in the transaction that withdraws the frame, cleared once done (``previs.storage.moves``)."""

    __tablename__ = "file_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("frames.id"), index=True)
    source: Mapped[str] = mapped_column(Text)  # relative to the data directory
    target: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Performer(Base):
    """A person whose likeness needs consent; identified by name, aliases and extra identifying words (stage names,
    nicknames: each names them alone; NULL for performers registered before migration 0007)."""

    __tablename__ = "performers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    identifying: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    contact: Mapped[str] = mapped_column(String(300), default="")
    agent: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class NameWord(Base):
    """One key of a performer's label (``previs.consent.canonical.PerformerNames.index``): the consent gate finds
    who a text may name through the index on the key, never by reading the registry. ``alone`` says the key can
    name the performer by itself (a distinctive surname, a glued name); a label's other keys bring the performer
    back only two at a time, so a first name many performers share does not bring them all back."""

    __tablename__ = "name_words"

    performer_id: Mapped[int] = mapped_column(ForeignKey("performers.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(201), primary_key=True, index=True)  # glued label letters, surname + s
    alone: Mapped[bool] = mapped_column(Boolean)


class PerformerPhoto(Base):
    """A reference photo of a performer: its file (by sha256, in the ``photos`` store, never served) and the
    descriptor of its one face, which the consent gate matches faces in input and output pictures against."""

    __tablename__ = "performer_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    performer_id: Mapped[int] = mapped_column(ForeignKey("performers.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    descriptor: Mapped[bytes] = mapped_column(LargeBinary)  # 128 little-endian float32 (media/faces.py)
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    __table_args__ = (UniqueConstraint("performer_id", "sha256"),)


class ConsentGrant(Base):
    """What a performer agreed to, for one project, until a date. Never edited: revocation is an event."""

    __tablename__ = "consent_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    performer_id: Mapped[int] = mapped_column(ForeignKey("performers.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    uses: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    evidence_path: Mapped[str | None] = mapped_column(Text, default=None)
    evidence_type: Mapped[str | None] = mapped_column(String(100), default=None)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    performer: Mapped[Performer] = relationship()
    project: Mapped[Project] = relationship()


class ConsentEvent(Base):
    """The consent history: granted, revoked, expired, generation_refused. Append-only."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("consent_grants.id"), default=None, index=True)
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("performers.id"), default=None)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class FrameConsent(Base):
    """Which grants a frame relied on: revoking one finds exactly its frames."""

    __tablename__ = "frame_consents"

    frame_id: Mapped[int] = mapped_column(ForeignKey("frames.id"), primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("consent_grants.id"), primary_key=True, index=True)


class Scene(Base):
    """A scene of a project's screenplay (or a described scene); re-imports update it by number."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text)
    int_ext: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(Text)
    time_of_day: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(Text)
    characters: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    dialogue: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    project: Mapped[Project] = relationship()
    shots: Mapped[list[Shot]] = relationship(back_populates="scene", order_by="Shot.position",
                                             cascade="all, delete-orphan")


class Shot(Base):
    """One planned camera shot of a scene: what it shows, how wide, from where."""

    __tablename__ = "shots"
    __table_args__ = (UniqueConstraint("scene_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    size: Mapped[str] = mapped_column(String(40))
    angle: Mapped[str] = mapped_column(String(40))
    dialogue: Mapped[str] = mapped_column(Text, default="")
    lens_mm: Mapped[int] = mapped_column(Integer, default=50)
    movement: Mapped[str] = mapped_column(String(40), default="static")
    characters: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)  # a user's shot: re-imports keep it

    scene: Mapped[Scene] = relationship(back_populates="shots")


class Review(Base):
    """One review decision on a frame; the history is every row, the current status the newest."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("frames.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class StoryboardJob(Base):
    """Who is drawing a scene's storyboard in a style now: one row per (scene, style), deleted when the job ends.

    A scene belongs to one project, so the row is the claim on (project, scene, style). The owner's host, pid
    and pid space (boot id and pid namespace) let a job on the same machine see at once that a killed owner is
    gone; ``heartbeat_at``, refreshed while the job runs, lets any other machine see it within a minute.
    """

    __tablename__ = "storyboard_jobs"
    __table_args__ = (UniqueConstraint("scene_id", "style", name="uq_storyboard_jobs_scene_style"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id"))
    style: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str] = mapped_column(String(32))  # a random token per job: whose claim this is
    user: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    pid_space: Mapped[str] = mapped_column(String(200))  # where ``pid`` names the owner; "" where unknown
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
class StudioMeta(Base):
    """Facts about the studio this database belongs to; ``studio_id`` matches its data directory's studio.json."""

    __tablename__ = "studio_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StudioEvent(Base):
    """Something done to the studio as a whole: created, adopted, started over, given a new signing identity."""

    __tablename__ = "studio_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SoftBinding(Base):
    """A frame's ISCC image code (or that of a centre crop of it, ``crop`` per mille per side) as four indexed
    16-bit bands: ``previs verify`` finds re-encoded, resized and cropped copies by Hamming distance through them
    (``previs.provenance.soft_binding``)."""

    __tablename__ = "soft_bindings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("frames.id"), index=True)
    crop: Mapped[int] = mapped_column(Integer)
    band0: Mapped[int] = mapped_column(Integer, index=True)
    band1: Mapped[int] = mapped_column(Integer, index=True)
    band2: Mapped[int] = mapped_column(Integer, index=True)
    band3: Mapped[int] = mapped_column(Integer, index=True)
