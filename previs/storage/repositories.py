"""Repositories: the queries domain code needs, bound to one session by ``UnitOfWork``."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Text, bindparam, cast, or_, select
from sqlalchemy.orm import Session

from previs.errors import NotFound
from previs.storage.tables import (
    ConsentEvent,
    ConsentGrant,
    Frame,
    FrameConsent,
    LedgerRow,
    Performer,
    Project,
    Review,
    Scene,
    Shot,
    utc_now,
)


class ProjectRepository:
    def __init__(self, session: Session):
        self._session = session

    def get_or_create(self, name: str) -> Project:
        project = self.find(name)
        if project is None:
            project = Project(name=name)
            self._session.add(project)
            self._session.flush()
        return project

    def find(self, name: str) -> Project | None:
        return self._session.scalar(_PROJECT_NAMED, {"name": name})

    def get(self, name: str) -> Project:
        project = self.find(name)
        if project is None:
            raise NotFound(f"no project named {name!r}: check `previs frames` or create it by generating into it")
        return project

    def all(self) -> Sequence[Project]:
        return self._session.scalars(select(Project).order_by(Project.name)).all()


class FrameRepository:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **fields: Any) -> Frame:
        frame = Frame(**fields)
        self._session.add(frame)
        self._session.flush()
        return frame

    def get(self, frame_id: int) -> Frame:
        frame = self._session.get(Frame, frame_id)
        if frame is None:
            raise NotFound(f"no frame with id {frame_id}: list frames with `previs frames`")
        return frame

    def list(self, *, project: str | None = None, limit: int = 100, include_withdrawn: bool = False,
             kind: str | None = None) -> Sequence[Frame]:
        query = select(Frame).order_by(Frame.id.desc()).limit(limit)
        if project is not None:
            query = query.join(Project).where(Project.name == project)
        if not include_withdrawn:
            query = query.where(Frame.status == "active")
        if kind is not None:
            query = query.where(Frame.kind == kind)
        return self._session.scalars(query).all()

    def by_file_sha256(self, file_sha256: str) -> Frame | None:
        return self._session.scalar(select(Frame).where(Frame.file_sha256 == file_sha256))

    def by_sha256(self, sha256: str) -> Sequence[Frame]:
        """Frames whose pixels are exactly this picture (a picture can be stored more than once)."""
        return self._session.scalars(select(Frame).where(Frame.sha256 == sha256).order_by(Frame.id)).all()


class LedgerRepository:
    def __init__(self, session: Session):
        self._session = session

    def last(self) -> LedgerRow | None:
        return self._session.scalar(_LAST_LEDGER_ROW)

    def add(self, **fields: Any) -> LedgerRow:
        row = LedgerRow(**fields)
        self._session.add(row)
        self._session.flush()
        return row

    def all(self) -> Sequence[LedgerRow]:
        return self._session.scalars(select(LedgerRow).order_by(LedgerRow.sequence, LedgerRow.id)).all()

    def by_frame_sha256(self, digest: str) -> LedgerRow | None:
        return self._session.scalar(select(LedgerRow).where(LedgerRow.frame_sha256 == digest).limit(1))

    def by_pixel_sha256(self, digest: str) -> LedgerRow | None:
        return self._session.scalar(
            select(LedgerRow).where(LedgerRow.pixel_sha256 == digest).order_by(LedgerRow.sequence).limit(1)
        )


class ConsentRepository:
    """Performers, grants, events and frame links; grants and events are only ever added."""

    def __init__(self, session: Session):
        self._session = session

    def performers(self) -> Sequence[Performer]:
        return self._session.scalars(select(Performer).order_by(Performer.name)).all()

    def performer_names(self) -> Sequence[Row[int, str, str]]:
        """Each performer's id, name and aliases (the JSON text stored): what the consent gate matches every
        prompt against, read without building an object or decoding JSON per performer.

        The aliases are cast to text in SQL: PostgreSQL's driver decodes a JSON column itself (into a list, which
        the gate's per-row cache cannot hash), so only the cast gives the same hashable text on every back end.
        """
        return self._session.execute(_PERFORMER_NAMES).all()

    def add_performer(self, **fields: Any) -> Performer:
        performer = Performer(**fields)
        self._session.add(performer)
        self._session.flush()
        return performer

    def add_grant(self, **fields: Any) -> ConsentGrant:
        grant = ConsentGrant(**fields)
        self._session.add(grant)
        self._session.flush()
        return grant

    def grant(self, grant_id: int) -> ConsentGrant:
        grant = self._session.get(ConsentGrant, grant_id)
        if grant is None:
            raise NotFound(f"no consent grant with id {grant_id}: see `previs consent list`")
        return grant

    def grants(self, *, performer_id: int | None = None) -> Sequence[ConsentGrant]:
        query = select(ConsentGrant).order_by(ConsentGrant.id)
        if performer_id is not None:
            query = query.where(ConsentGrant.performer_id == performer_id)
        return self._session.scalars(query).all()

    def add_event(self, **fields: Any) -> ConsentEvent:
        event = ConsentEvent(**fields)
        self._session.add(event)
        self._session.flush()
        return event

    def events(self, *, grant_id: int | None = None) -> Sequence[ConsentEvent]:
        query = select(ConsentEvent).order_by(ConsentEvent.id)
        if grant_id is not None:
            query = query.where(ConsentEvent.grant_id == grant_id)
        return self._session.scalars(query).all()

    def ended_grant_ids(self) -> set[int]:
        """Grants with a revoked or expired event: they never become active again."""
        return set(self._session.scalars(_ENDED_GRANT_IDS))

    def current_grants(self, project: str, performer_ids: Collection[int], today: date) -> Sequence[ConsentGrant]:
        """The performers' grants on the project that are within their dates today and were never ended."""
        return self._session.scalars(_CURRENT_GRANTS, {"project": project, "performer_ids": list(performer_ids),
                                                       "today": today}).all()

    def ended_among(self, grant_ids: Collection[int], today: date) -> set[int]:
        """Those of the grants that have ended: revoked, expired, or past their end date today."""
        return set(self._session.scalars(_ENDED_AMONG, {"grant_ids": list(grant_ids), "today": today}))

    def link_frame(self, frame_id: int, grant_id: int) -> None:
        self._session.add(FrameConsent(frame_id=frame_id, grant_id=grant_id))

    def frames_using(self, grant_id: int) -> Sequence[Frame]:
        query = select(Frame).join(FrameConsent, FrameConsent.frame_id == Frame.id).where(
            FrameConsent.grant_id == grant_id).order_by(Frame.id)
        return self._session.scalars(query).all()


# The queries every frame runs (the consent gate, the ledger's tip, the project): built once, values bound per
# call. Building a statement costs more than SQLite takes to run it.
_PROJECT_NAMED = select(Project).where(Project.name == bindparam("name"))
_LAST_LEDGER_ROW = select(LedgerRow).order_by(LedgerRow.sequence.desc()).limit(1)
_ENDED_GRANT_IDS = select(ConsentEvent.grant_id).where(ConsentEvent.kind.in_(("revoked", "expired")),
                                                       ConsentEvent.grant_id.is_not(None))
_CURRENT_GRANTS = select(ConsentGrant).join(Project, ConsentGrant.project_id == Project.id).where(
    Project.name == bindparam("project"), ConsentGrant.performer_id.in_(bindparam("performer_ids", expanding=True)),
    ConsentGrant.valid_from <= bindparam("today"), ConsentGrant.valid_until >= bindparam("today"),
    ConsentGrant.id.not_in(_ENDED_GRANT_IDS)).order_by(ConsentGrant.id)
_ENDED_AMONG = select(ConsentGrant.id).where(ConsentGrant.id.in_(bindparam("grant_ids", expanding=True)), or_(
    ConsentGrant.valid_until < bindparam("today"), ConsentGrant.id.in_(_ENDED_GRANT_IDS)))
_PERFORMER_NAMES = select(Performer.id, Performer.name, cast(Performer.aliases, Text)).order_by(Performer.name)


class SceneRepository:
    def __init__(self, session: Session):
        self._session = session

    def upsert(self, project: Project, number: str, position: int, **fields: Any) -> tuple[Scene, bool]:
        """Update the scene with this number, or add it; True when it is new."""
        scene = self.find(project, number)
        created = scene is None
        if scene is None:
            scene = Scene(project_id=project.id, number=number, position=position, **fields)
            self._session.add(scene)
        else:
            scene.position = position
            for name, value in fields.items():
                setattr(scene, name, value)
            scene.updated_at = utc_now()
        self._session.flush()
        return scene, created

    def replace_shots(self, scene: Scene, shots: Sequence[dict[str, Any]]) -> None:
        """Shots are updated in place by position (frames keep pointing at them); surplus ones are removed and
        their frames keep the scene but lose the shot."""
        existing = {shot.position: shot for shot in scene.shots}
        for position, fields in enumerate(shots, start=1):
            shot = existing.pop(position, None)
            if shot is None:
                scene.shots.append(Shot(position=position, **fields))
            else:
                for name, value in fields.items():
                    setattr(shot, name, value)
        for shot in existing.values():
            for frame in self._session.scalars(select(Frame).where(Frame.shot_id == shot.id)):
                frame.shot_id = None
            scene.shots.remove(shot)
        self._session.flush()

    def find(self, project: Project, number: str) -> Scene | None:
        return self._session.scalar(select(Scene).where(Scene.project_id == project.id, Scene.number == number))

    def get(self, project: Project, number: str) -> Scene:
        scene = self.find(project, number)
        if scene is None:
            known = ", ".join(row.number for row in self.list(project)) or "none yet: import a script first"
            raise NotFound(f"project {project.name!r} has no scene {number!r} (scenes: {known})")
        return scene

    def list(self, project: Project) -> Sequence[Scene]:
        return self._session.scalars(select(Scene).where(Scene.project_id == project.id)
                                     .order_by(Scene.position)).all()

    def shot(self, shot_id: int) -> Shot:
        shot = self._session.get(Shot, shot_id)
        if shot is None:
            raise NotFound(f"no shot with id {shot_id}")
        return shot

    def frames_of_shot(self, shot_id: int) -> Sequence[Frame]:
        return self._session.scalars(select(Frame).where(Frame.shot_id == shot_id, Frame.status == "active")
                                     .order_by(Frame.id)).all()


class ReviewRepository:
    def __init__(self, session: Session):
        self._session = session

    def add(self, **fields: Any) -> Review:
        review = Review(**fields)
        self._session.add(review)
        self._session.flush()
        return review

    def history(self, frame_id: int) -> Sequence[Review]:
        return self._session.scalars(select(Review).where(Review.frame_id == frame_id).order_by(Review.id)).all()

    def latest(self, frame_ids: Sequence[int]) -> dict[int, Review]:
        """The newest review of each frame that has one."""
        rows = self._session.scalars(select(Review).where(Review.frame_id.in_(frame_ids)).order_by(Review.id))
        return {row.frame_id: row for row in rows}


class UnitOfWork:
    """Repositories sharing one transaction (see ``Database.unit_of_work``)."""

    def __init__(self, session: Session):
        self.projects = ProjectRepository(session)
        self.frames = FrameRepository(session)
        self.ledger = LedgerRepository(session)
        self.consent = ConsentRepository(session)
        self.scenes = SceneRepository(session)
        self.reviews = ReviewRepository(session)
