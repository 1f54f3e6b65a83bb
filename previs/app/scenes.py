"""A project's scenes and shots: screenplay import (updating scenes by number), descriptions, shot edits.

Parsing lives in ``previs.scenes``; this module stores what it finds, all of a script or none of it.
Re-importing a revised script updates each scene with the same number in place (its frames stay linked),
adds new ones and leaves scenes the script no longer has alone, reporting them. A scene whose action or dialogue
changed gets a fresh breakdown, except for the shots a user edited, added or moved (``edited``): those rows are
kept, with their frames, at their positions, and the fresh shots fill the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, BinaryIO

from previs.access.permissions import Action, Actor
from previs.errors import InvalidRequest
from previs.scenes import (
    DEFAULT_LENS_MM,
    DEFAULT_MAX_SHOTS,
    Scene,
    Shot,
    breakdown,
    load_screenplay,
    parse_description,
    validate_shots,
)
from previs.storage import Database, UnitOfWork
from previs.storage.projects import check_project_name
from previs.storage.tables import Scene as SceneRow
from previs.storage.tables import Shot as ShotRow


@dataclass(frozen=True)
class ShotInfo:
    """A stored shot with its camera block; ``edited`` when a user changed it (re-imports keep it)."""

    id: int
    order: int
    description: str
    size: str
    angle: str
    dialogue: str
    lens_mm: int = 0
    movement: str = "static"
    characters: tuple[str, ...] = ()
    edited: bool = False

    def to_shot(self) -> Shot:
        return Shot(self.order, self.description, self.size, self.angle, self.dialogue, self.lens_mm, self.movement,
                    self.characters)

    @property
    def camera(self) -> str:
        """The camera block as crews write it: ``medium close-up · 65 mm · over the shoulder · static``."""
        return f"{self.size} · {self.lens_mm} mm · {self.angle} · {self.movement}"


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
    warnings: list[str] = field(default_factory=list)

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
    return ShotInfo(row.id, row.position, row.description, row.size, row.angle, row.dialogue, row.lens_mm,
                    row.movement, tuple(row.characters or ()), row.edited)


def _shot_fields(shot: Shot, *, edited: bool = False) -> dict[str, Any]:
    return {"description": shot.description, "size": shot.size, "angle": shot.angle, "dialogue": shot.dialogue,
            "lens_mm": shot.lens_mm, "movement": shot.movement, "characters": list(shot.characters),
            "edited": edited}


def _kept(row: ShotRow) -> dict[str, Any]:
    """A stored shot as ``replace_shots`` keeps it: the same row, unchanged."""
    return {"id": row.id}


class SceneDesk:
    """Scenes of projects, as the art department and producers use them."""

    def __init__(self, database: Database, *, max_shots: int = DEFAULT_MAX_SHOTS):
        self.database = database
        self.max_shots = max_shots

    def import_script(self, source: bytes | BinaryIO, *, project: str, actor: Actor,
                      max_shots: int | None = None) -> ImportReport:
        """Import a Fountain screenplay; every scene gets a default shot list unless it has one already.

        ``max_shots`` (default the desk's) caps each scene's breakdown; the report's warnings say where it did.
        """
        actor.require(Action.IMPORT_SCRIPT)
        project = check_project_name(project)
        screenplay = load_screenplay(source)
        warnings = list(screenplay.warnings)
        with self.database.unit_of_work() as work:
            rows, created = self._store(work, project, screenplay.scenes, warnings=warnings,
                                        max_shots=self.max_shots if max_shots is None else max_shots)
            project_row = work.projects.get(project)
            numbers = {scene.number for scene in screenplay.scenes}
            missing = [row.number for row in work.scenes.list(project_row) if row.number not in numbers]
            return ImportReport(project, screenplay.title, [scene_info(row) for row in rows],
                                [row.number for row in rows if row.number in created],
                                [row.number for row in rows if row.number not in created], missing, warnings)

    def add_description(self, text: str, *, project: str, number: str | None = None, actor: Actor) -> SceneInfo:
        """Store a free-text scene description as a scene (next free number unless given)."""
        actor.require(Action.IMPORT_SCRIPT)
        project = check_project_name(project)
        with self.database.unit_of_work() as work:
            project_row = work.projects.get_or_create(project)
            existing = work.scenes.list(project_row)
            chosen = number or str(1 + max((int(row.number) for row in existing if row.number.isdigit()),
                                           default=0))
            rows, _ = self._store(work, project, [parse_description(text, number=chosen)], append=True,
                                  warnings=[], max_shots=self.max_shots)
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
            work.scenes.replace_shots(row, [_shot_fields(shot, edited=True) for shot in shots])
            return scene_info(row)

    def edit_shot(self, project: str, number: str, shot: int, *, actor: Actor, size: str | None = None,
                  angle: str | None = None, lens_mm: int | None = None, movement: str | None = None,
                  description: str | None = None, dialogue: str | None = None,
                  characters: Sequence[str] | None = None) -> SceneInfo:
        """Change one shot's camera block or text (None leaves a field); a new size brings its default lens
        unless the lens was typed. The shot is marked edited, so a re-import keeps it."""
        actor.require(Action.BUILD_STORYBOARD)
        with self.database.unit_of_work() as work:
            row = work.scenes.get(work.projects.get(project), str(number).strip())
            target = _shot_row(row, shot)
            before = _shot_info(target)
            if lens_mm is None and size is not None and before.lens_mm == DEFAULT_LENS_MM.get(before.size):
                lens_mm = DEFAULT_LENS_MM.get(size, before.lens_mm)
            changes: dict[str, Any] = {name: value for name, value in (
                ("size", size), ("angle", angle), ("lens_mm", lens_mm), ("movement", movement),
                ("description", description), ("dialogue", dialogue),
                ("characters", None if characters is None else tuple(name.strip() for name in characters)),
            ) if value is not None}
            edited = replace(before.to_shot(), **changes)  # Shot checks every field, naming it and the choices
            work.scenes.replace_shots(row, [_shot_fields(edited, edited=True) | {"id": target.id} if s is target
                                            else _kept(s) for s in row.shots])
            return scene_info(row)

    def add_shot(self, project: str, number: str, *, actor: Actor, description: str, size: str = "medium",
                 angle: str = "eye level", lens_mm: int = 0, movement: str = "static", dialogue: str = "",
                 characters: Sequence[str] = (), at: int | None = None) -> SceneInfo:
        """Add a shot at position ``at`` (default: last); the shots after it move down one, keeping their frames."""
        actor.require(Action.BUILD_STORYBOARD)
        with self.database.unit_of_work() as work:
            row = work.scenes.get(work.projects.get(project), str(number).strip())
            count = len(row.shots)
            place = count + 1 if at is None else at
            if isinstance(place, bool) or not isinstance(place, int) or not 1 <= place <= count + 1:
                raise InvalidRequest(f"shot position must be from 1 to {count + 1} in scene {row.number}, got {at!r}")
            new = Shot(place, description, size, angle, dialogue, lens_mm, movement,
                       tuple(name.strip() for name in characters))
            fields: list[dict[str, Any]] = [_kept(s) for s in row.shots]
            fields.insert(place - 1, _shot_fields(new, edited=True))
            work.scenes.replace_shots(row, fields)
            return scene_info(row)

    def remove_shot(self, project: str, number: str, shot: int, *, actor: Actor) -> SceneInfo:
        """Remove a shot; its frames stay in the project (and the scene) without a shot."""
        actor.require(Action.BUILD_STORYBOARD)
        with self.database.unit_of_work() as work:
            row = work.scenes.get(work.projects.get(project), str(number).strip())
            target = _shot_row(row, shot)
            if len(row.shots) == 1:
                raise InvalidRequest(f"scene {row.number} has only this shot: a scene keeps at least one")
            work.scenes.replace_shots(row, [_kept(s) for s in row.shots if s is not target])
            return scene_info(row)

    def move_shot(self, project: str, number: str, shot: int, to: int, *, actor: Actor) -> SceneInfo:
        """Move a shot to position ``to``; every shot keeps its frames, and the moved one is marked edited."""
        actor.require(Action.BUILD_STORYBOARD)
        with self.database.unit_of_work() as work:
            row = work.scenes.get(work.projects.get(project), str(number).strip())
            target = _shot_row(row, shot)
            _shot_row(row, to, field="--to")
            order = [s for s in row.shots if s is not target]
            order.insert(to - 1, target)
            work.scenes.replace_shots(row, [_kept(s) | ({"edited": True} if s is target else {}) for s in order])
            return scene_info(row)

    def _store(self, work: UnitOfWork, project: str, scenes: Sequence[Scene], *, warnings: list[str],
               max_shots: int, append: bool = False) -> tuple[list[SceneRow], set[str]]:
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
                proposed = breakdown(scene, max_shots=max_shots)
                if proposed.note:
                    warnings.append(proposed.note)
                work.scenes.replace_shots(row, _merge(row, [_shot_fields(shot) for shot in proposed.shots],
                                                      warnings))
            if is_new:
                created.add(scene.number)
            rows.append(row)
        return rows, created


def _merge(row: SceneRow, fresh: list[dict[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    """The fresh breakdown with the scene's edited shots kept in their places (or after the fresh ones)."""
    merged = list(fresh)
    kept = [shot for shot in row.shots if shot.edited]
    for shot in kept:
        merged.insert(min(shot.position - 1, len(merged)), _kept(shot))
    if kept:
        warnings.append(f"scene {row.number}: the script changed it; its {len(kept)} edited shot(s) "
                        f"({', '.join(str(shot.position) for shot in kept)}) are kept, the others are proposed anew")
    return merged


def _shot_row(scene: SceneRow, order: int, *, field: str = "--shot") -> ShotRow:
    """The scene's shot at position ``order``, or an error naming the shots there are."""
    found = next((shot for shot in scene.shots if shot.position == order), None)
    if found is None or isinstance(order, bool):
        raise InvalidRequest(f"{field}: scene {scene.number} has shots 1 to {len(scene.shots)}, not {order!r}")
    return found
