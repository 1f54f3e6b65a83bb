"""Repositories: the queries domain code needs, bound to one session by ``UnitOfWork``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from previs.errors import NotFound
from previs.storage.tables import Frame, Project


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
        return self._session.scalar(select(Project).where(Project.name == name))

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

    def list(self, *, project: str | None = None, limit: int = 100) -> Sequence[Frame]:
        query = select(Frame).order_by(Frame.id.desc()).limit(limit)
        if project is not None:
            query = query.join(Project).where(Project.name == project)
        return self._session.scalars(query).all()

    def by_file_sha256(self, file_sha256: str) -> Frame | None:
        return self._session.scalar(select(Frame).where(Frame.file_sha256 == file_sha256))

    def by_sha256(self, sha256: str) -> Sequence[Frame]:
        """Frames whose pixels are exactly this picture (a picture can be stored more than once)."""
        return self._session.scalars(select(Frame).where(Frame.sha256 == sha256).order_by(Frame.id)).all()


class UnitOfWork:
    """Repositories sharing one transaction (see ``Database.unit_of_work``)."""

    def __init__(self, session: Session):
        self.projects = ProjectRepository(session)
        self.frames = FrameRepository(session)
