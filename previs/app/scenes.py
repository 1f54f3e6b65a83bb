"""A project's scenes and shots: screenplay import (updating scenes by number), descriptions, shot edits.

Parsing lives in ``previs.scenes``; this module stores what it finds, all of a script or none of it.
Re-importing a revised script updates each scene with the same number in place (its frames stay linked),
adds new ones and leaves scenes the script no longer has alone, reporting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

from previs.access.permissions import Action, Actor
from previs.scenes import Scene, Shot, breakdown_shots, load_screenplay, parse_description, validate_shots
from previs.storage import Database, UnitOfWork
from previs.storage.projects import check_project_name
from previs.storage.tables import Scene as SceneRow
from previs.storage.tables import Shot as ShotRow


@dataclass(frozen=True)
class ShotInfo:
    id: int
    order: int
    description: str
    size: str
    angle: str
    dialogue: str

    def to_shot(self) -> Shot:
        return Shot(self.order, self.description, self.size, self.angle, self.dialogue)


@dataclass(frozen=True)
class SceneInfo:
    id: int
    project: str
    number: str
    heading: str
    int_ext: str
    location: str
    time_of_day: str
    action: str
    characters: list[str]
    notes: list[str]
    dialogue: list[dict[str, Any]]
    shots: list[ShotInfo] = field(default_factory=list)

    def to_scene(self) -> Scene:
        return Scene.from_record(asdict(self))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: every scene of the script, which were new, and stored scenes it no longer has."""

    project: str
    title: str
    scenes: list[SceneInfo]
    created: list[str]
    updated: list[str]
    not_in_script: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def scene_info(row: SceneRow) -> SceneInfo:
    return SceneInfo(
        id=row.id, project=row.project.name, number=row.number, heading=row.heading, int_ext=row.int_ext,
        location=row.location, time_of_day=row.time_of_day, action=row.action, characters=list(row.characters),
        notes=list(row.notes), dialogue=list(row.dialogue),
        shots=[_shot_info(shot) for shot in row.shots],
    )


def _shot_info(row: ShotRow) -> ShotInfo:
    return ShotInfo(row.id, row.position, row.description, row.size, row.angle, row.dialogue)


def _shot_fields(shot: Shot) -> dict[str, Any]:
    return {"description": shot.description, "size": shot.size, "angle": shot.angle, "dialogue": shot.dialogue}


class SceneDesk:
    """Scenes of projects, as the art department and producers use them."""

    def __init__(self, database: Database, *, max_shots: int = 8):
        self.database = database
        self.max_shots = max_shots

    def import_script(self, source: bytes | BinaryIO, *, project: str, actor: Actor) -> ImportReport:
        """Import a Fountain screenplay; every scene gets a default shot list unless it has one already."""
        actor.require(Action.IMPORT_SCRIPT)
        project = check_project_name(project)
        screenplay = load_screenplay(source)
        with self.database.unit_of_work() as work:
            rows, created = self._store(work, project, screenplay.scenes)
            project_row = work.projects.get(project)
            numbers = {scene.number for scene in screenplay.scenes}
            missing = [row.number for row in work.scenes.list(project_row) if row.number not in numbers]
            return ImportReport(project, screenplay.title, [scene_info(row) for row in rows],
                                [row.number for row in rows if row.number in created],
                                [row.number for row in rows if row.number not in created], missing)

    def add_description(self, text: str, *, project: str, number: str | None = None, actor: Actor) -> SceneInfo:
        """Store a free-text scene description as a scene (next free number unless given)."""
        actor.require(Action.IMPORT_SCRIPT)
        project = check_project_name(project)
        with self.database.unit_of_work() as work:
            project_row = work.projects.get_or_create(project)
            existing = work.scenes.list(project_row)
            chosen = number or str(1 + max((int(row.number) for row in existing if row.number.isdigit()),
                                           default=0))
            rows, _ = self._store(work, project, [parse_description(text, number=chosen)], append=True)
            return scene_info(rows[0])

    def scenes(self, project: str, *, actor: Actor) -> list[SceneInfo]:
        actor.require(Action.VIEW)
        with self.database.unit_of_work() as work:
            return [scene_info(row) for row in work.scenes.list(work.projects.get(project))]

    def scene(self, project: str, number: str, *, actor: Actor) -> SceneInfo:
        actor.require(Action.VIEW)
        with self.database.unit_of_work() as work:
            return scene_info(work.scenes.get(work.projects.get(project), str(number).strip()))

    def edit_shots(self, project: str, number: str, shots: Sequence[Shot], *, actor: Actor) -> SceneInfo:
        """Replace a scene's shot list (orders 1..n); shots keep their ids, and so their frames, by order."""
        actor.require(Action.BUILD_STORYBOARD)
        validate_shots(shots)
        with self.database.unit_of_work() as work:
            row = work.scenes.get(work.projects.get(project), number)
            work.scenes.replace_shots(row, [_shot_fields(shot) for shot in shots])
            return scene_info(row)

    def _store(self, work: UnitOfWork, project: str, scenes: Sequence[Scene],
               append: bool = False) -> tuple[list[SceneRow], set[str]]:
        project_row = work.projects.get_or_create(project)
        offset = len(work.scenes.list(project_row)) if append else 0
        rows, created = [], set()
        for position, scene in enumerate(scenes, start=1 + offset):
            record = scene.to_record()
            fields = {name: record[name] for name in ("heading", "int_ext", "location", "time_of_day", "action",
                                                      "characters", "notes", "dialogue")}
            before = work.scenes.find(project_row, scene.number)
            revised = before is None or (before.action, before.dialogue) != (fields["action"], fields["dialogue"])
            row, is_new = work.scenes.upsert(project_row, scene.number, position, **fields)
            if revised or not row.shots:  # a scene whose action changed gets a fresh shot list (ids kept)
                work.scenes.replace_shots(row, [_shot_fields(shot)
                                                for shot in breakdown_shots(scene, max_shots=self.max_shots)])
            if is_new:
                created.add(scene.number)
            rows.append(row)
        return rows, created
