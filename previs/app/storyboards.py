"""Storyboards: every shot of one or more scenes drawn in one style, then laid out as a sheet (PDF and PNG).

A job draws the shots in script order with one shared base seed, so the frames of a scene share their noise
and read as one board. Each shot is stored (signed, in the ledger, through the consent gate) as soon as it is
drawn, so an interrupted job loses at most the shot in progress; running it again skips every shot that
already has a frame in that style. Sheets print each shot's select (its approved frame) where there is one,
else its newest frame; frames whose consent was withdrawn never appear.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from previs.access.permissions import Action, Actor
from previs.app.frames import FrameDesk
from previs.app.requests import FrameRequest
from previs.app.reviews import current_statuses, select_of
from previs.app.scenes import SceneDesk, SceneInfo
from previs.errors import InvalidRequest
from previs.generation.limits import MAX_SEED
from previs.prompts import PromptLibrary
from previs.provenance.record import FrameRecord
from previs.sheets.render import Panel, SheetHeader, render_pdf, render_png_pages
from previs.storage import Database, FileStore, Frame, UnitOfWork

DEFAULT_STYLE = "pencil_storyboard"


@dataclass(frozen=True)
class StoryboardRequest:
    project: str
    scenes: Sequence[str]
    style: str = DEFAULT_STYLE
    seed: int | None = None  # shared by every shot; None: the scene's earlier seed in this style, else drawn
    steps: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ShotProgress:
    """Reported after each shot: how far the job is, and what happened to this shot."""

    done: int
    total: int
    label: str  # "12A.3"
    frame_id: int
    skipped: bool  # already drawn by an earlier run


@dataclass(frozen=True)
class StoryboardResult:
    project: str
    style: str
    seeds: dict[str, int]  # scene number → base seed
    drawn: list[int] = field(default_factory=list)  # frame ids made by this run
    skipped: list[str] = field(default_factory=list)  # shot labels already drawn

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sheet:
    """A storyboard sheet: the PDF, its PNG pages, and the frames it shows."""

    pdf: bytes = field(repr=False)
    pages: list[Image.Image] = field(repr=False)
    frame_ids: list[int]
    missing: list[str]  # shots with no frame to show yet

    def png_pages(self) -> list[bytes]:
        encoded = []
        for page in self.pages:
            buffer = io.BytesIO()
            page.save(buffer, format="PNG", compress_level=6)
            encoded.append(buffer.getvalue())
        return encoded


def _drawn_in_style(frames: Sequence[Frame], style: str) -> list[Frame]:
    return [frame for frame in frames
            if frame.kind == "storyboard" and FrameRecord.from_json(frame.record).style == style]


def _earlier_seed(work: UnitOfWork, scene: SceneInfo, style: str) -> int:
    """Keep a scene's continuity across runs: reuse the seed its frames in this style were drawn with."""
    for shot in scene.shots:
        for frame in _drawn_in_style(work.scenes.frames_of_shot(shot.id), style):
            return FrameRecord.from_json(frame.record).generation.seeds[0]
    return secrets.randbelow(MAX_SEED + 1)


class StoryboardDesk:
    """Storyboards for art directors and producers: resumable shot jobs, and sheets of the selects."""

    def __init__(self, database: Database, frames: FrameDesk, scenes: SceneDesk, prompts: PromptLibrary,
                 files: FileStore):
        self._database = database
        self._frames = frames
        self._scenes = scenes
        self._prompts = prompts
        self._files = files

    def build(self, request: StoryboardRequest, *, actor: Actor,
              progress: Callable[[ShotProgress], None] | None = None) -> StoryboardResult:
        """Draw every shot of the scenes that has no frame in this style yet; report progress per shot.

        The resume check reads the shots' active frames: a frame withdrawn since the last run (its grant
        revoked or lapsed) is no frame, so its shot is drawn again, through the consent gate.
        """
        actor.require(Action.BUILD_STORYBOARD)
        if not request.scenes:
            raise InvalidRequest("choose at least one scene for the storyboard")
        self._prompts.style(request.style)  # unknown style: refused before any work
        scenes = [self._scenes.scene(request.project, number, actor=actor) for number in request.scenes]
        plan = [(scene, shot) for scene in scenes for shot in scene.shots]
        result = StoryboardResult(request.project, request.style, {})
        for done, (scene, shot) in enumerate(plan, start=1):
            label = f"{scene.number}.{shot.order}"
            with self._database.unit_of_work() as work:
                existing = _drawn_in_style(work.scenes.frames_of_shot(shot.id), request.style)
                seed = result.seeds.get(scene.number)
                if seed is None:
                    seed = request.seed if request.seed is not None else _earlier_seed(work, scene, request.style)
                    result.seeds[scene.number] = seed
            if existing:
                result.skipped.append(label)
                frame_id = existing[-1].id
            else:
                frame_id = self._frames.generate(FrameRequest(
                    kind="storyboard", project=request.project, scene=scene.number, shot=shot.order,
                    style=request.style, seed=seed, steps=request.steps, width=request.width, height=request.height,
                ), actor=actor)[0].id
                result.drawn.append(frame_id)
            if progress is not None:
                progress(ShotProgress(done, len(plan), label, frame_id, skipped=bool(existing)))
        return result

    def sheet(self, project: str, scenes: Sequence[str], *, columns: int = 3, page_size: str = "A4",
              style: str | None = None, actor: Actor) -> Sheet:
        """The sheet of the scenes' shots in order: selects first, else the newest frame (in ``style`` if given)."""
        actor.require(Action.VIEW)
        infos = [self._scenes.scene(project, number, actor=actor) for number in scenes]
        panels, frame_ids, missing = [], [], []
        with self._database.unit_of_work() as work:
            for scene in infos:
                for shot in scene.shots:
                    label = f"{scene.number}.{shot.order}"
                    frames = [frame for frame in work.scenes.frames_of_shot(shot.id) if frame.kind == "storyboard"]
                    if style is not None:
                        frames = _drawn_in_style(frames, style)
                    chosen = select_of(work, frames) or (frames[-1] if frames else None)
                    if chosen is None:
                        missing.append(label)
                        continue
                    with Image.open(self._files.absolute(chosen.path)) as opened:
                        picture = opened.convert("RGB")
                    status = current_statuses(work, [chosen.id])[chosen.id]
                    panels.append(Panel(picture, label, scene.heading, shot.description, shot.dialogue,
                                        str(chosen.id), status.replace("_", " ")))
                    frame_ids.append(chosen.id)
        if not panels:
            raise InvalidRequest(f"no frames to lay out for scene(s) {', '.join(scenes)}: build the storyboard first")
        title = (f"Scene {infos[0].number} — {infos[0].heading}" if len(infos) == 1
                 else f"Scenes {', '.join(scene.number for scene in infos)}")
        header = SheetHeader(project=project, title=title, subtitle=f"{len(panels)} shots",
                             generated_on=datetime.now(UTC).date().isoformat())
        return Sheet(render_pdf(panels, header, columns=columns, page_size=page_size),
                     render_png_pages(panels, header, columns=columns, page_size=page_size), frame_ids, missing)
