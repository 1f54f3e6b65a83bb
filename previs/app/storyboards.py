"""Storyboards: every shot of one or more scenes drawn in one style, then laid out as a sheet (PDF and PNG).

A job draws the shots in script order with one shared base seed, so the frames of a scene share their noise
and read as one board. Each shot is stored (signed, in the ledger, through the consent gate) as soon as it is
drawn, so an interrupted job loses at most the shot in progress; running it again skips every shot that
already has a frame in that style. One job draws a scene in a style at a time (``storyboard_jobs.py``); a
second one waits for it and keeps its frames, so every shot is drawn once. Sheets print each shot's select
(its approved frame) where there is one, else its newest frame; frames whose consent was withdrawn never appear.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from previs.access.permissions import Action, Actor
from previs.app.blockouts import BLOCKOUT_ROLE
from previs.app.frames import FrameDesk
from previs.app.pipeline import Check
from previs.app.requests import FrameRequest
from previs.app.reviews import current_statuses, select_of
from previs.app.scenes import SceneDesk, SceneInfo, ShotInfo
from previs.app.storyboard_jobs import STALE_AFTER, Claim, Holder, StoryboardClaims
from previs.blocking.notation import camera_block
from previs.errors import InvalidRequest, JobInProgress
from previs.generation.limits import MAX_SEED
from previs.prompts import PromptLibrary
from previs.provenance.record import FrameRecord
from previs.scenes.model import DEFAULT_ASPECT, aspect_ratio
from previs.sheets.render import Panel, SheetHeader, render_pdf, render_png_pages
from previs.sheets.shotlist import ShotListRow, shot_list_csv, shot_list_pdf
from previs.storage import Database, FileStore, Frame, UnitOfWork
from previs.storage.projects import check_project_name

DEFAULT_STYLE = "pencil_storyboard"
PLACEHOLDER_NOTICE = "blockout — placeholder model"
POLL_SECONDS = 1.0  # how often a waiting job looks again at the job it waits for


@dataclass(frozen=True)
class ShotList:
    """A project's (or a scene's) shot list: its rows, as CSV or as a printable PDF."""

    title: str
    rows: list[ShotListRow]

    def csv(self) -> bytes:
        return shot_list_csv(self.rows)

    def pdf(self) -> bytes:
        return shot_list_pdf(self.rows, title=self.title)


@dataclass(frozen=True)
class StoryboardRequest:
    project: str
    scenes: Sequence[str]
    style: str = DEFAULT_STYLE
    seed: int | None = None  # shared by every shot; None: the scene's earlier seed in this style, else drawn
    steps: int | None = None
    width: int | None = None  # with height: the pixel count each frame is drawn with (default: the model's)
    height: int | None = None
    aspect: str | None = None  # this board's aspect ratio; None: the project's


@dataclass(frozen=True)
class ShotProgress:
    """Reported after each shot: how far the job is, and what happened to this shot."""

    done: int
    total: int
    label: str  # "12A.3"
    frame_id: int
    skipped: bool  # already drawn, by an earlier run or by another job


@dataclass(frozen=True)
class StoryboardBusy:
    """Another job is drawing the scene in the style: who, where, since when and how far (for the waiting user)."""

    scene: str
    style: str
    user: str
    host: str
    pid: int
    since: datetime
    drawn: int  # shots of the scene with a frame in the style so far
    total: int

    @property
    def message(self) -> str:
        return (f"storyboard for scene {self.scene} in style {self.style} is being drawn by {self.user} since "
                f"{self.since:%H:%M} UTC ({self.drawn} of {self.total} shots drawn; host {self.host}, "
                f"process {self.pid})")


class _ShotDrawn(Exception):
    """Raised inside the store transaction: another job stored a frame of the shot in the style meanwhile."""

    def __init__(self, frame_id: int):
        super().__init__(frame_id)
        self.frame_id = frame_id


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


def _not_drawn_meanwhile(shot_id: int, style: str) -> Check:
    """The store's last word on a shot: no job stored a frame of it in the style since this one looked."""
    def check(work: UnitOfWork) -> None:
        drawn = _drawn_in_style(work.scenes.frames_of_shot(shot_id), style)
        if drawn:
            raise _ShotDrawn(drawn[-1].id)
    return check


class StoryboardDesk:
    """Storyboards for art directors and producers: resumable shot jobs, and sheets of the selects."""

    def __init__(self, database: Database, frames: FrameDesk, scenes: SceneDesk, prompts: PromptLibrary,
                 files: FileStore, parallelism: Callable[[], int] = lambda: 1):
        """``parallelism``: how many shots are drawn at once (the generation workers serving; 1 in process)."""
        self._parallelism = parallelism
        self._database = database
        self._frames = frames
        self._scenes = scenes
        self._prompts = prompts
        self._files = files
        self._claims = StoryboardClaims(database)

    def build(self, request: StoryboardRequest, *, actor: Actor,
              progress: Callable[[ShotProgress], None] | None = None, wait: bool = True,
              on_wait: Callable[[StoryboardBusy], None] | None = None) -> StoryboardResult:
        """Draw every shot of the scenes that has no frame in this style yet; report progress per shot.

        The resume check reads the shots' active frames: a frame withdrawn since the last run (its grant
        revoked or lapsed) is no frame, so its shot is drawn again, through the consent gate.

        A scene is drawn in a style by one job at a time. While another job holds it, this one waits and
        ``on_wait`` hears who holds it and how far it is (whenever that changes); then the shots that job drew
        are kept, not drawn again. With ``wait=False`` it stops with ``JobInProgress`` instead. A shot another
        job stores between this job's look and its store is kept too: the store re-checks it.
        """
        actor.require(Action.BUILD_STORYBOARD)
        if not request.scenes:
            raise InvalidRequest("choose at least one scene for the storyboard")
        self._prompts.style(request.style)  # unknown style: refused before any work
        scenes = [self._scenes.scene(request.project, number, actor=actor) for number in request.scenes]
        total = sum(len(scene.shots) for scene in scenes)
        result = StoryboardResult(request.project, request.style, {})
        done = 0
        for scene in scenes:
            with self._claim(scene, request.style, actor, wait, on_wait) as claim:
                self._scene_seed(request, scene, result)

                def draw(shot: ShotInfo, scene: SceneInfo = scene, claim: Claim = claim) -> tuple[str, int, bool]:
                    if claim.lost:
                        stalled = STALE_AFTER.total_seconds()
                        raise JobInProgress(
                            f"storyboard for scene {scene.number} in style {request.style} was taken over by "
                            f"another job while this one stalled (no heartbeat for {stalled:g} s); the shots "
                            "drawn so far are kept: run it again to wait for that job")
                    return (f"{scene.number}.{shot.order}", *self._shot(request, scene, shot, result, actor))

                for label, frame_id, kept in self._fan_out(draw, scene.shots):
                    done += 1
                    if kept:
                        result.skipped.append(label)
                    else:
                        result.drawn.append(frame_id)
                    if progress is not None:
                        progress(ShotProgress(done, total, label, frame_id, skipped=kept))
        return result

    def _fan_out(self, draw: Callable[[ShotInfo], tuple[str, int, bool]],
                 shots: Sequence[ShotInfo]) -> Iterator[tuple[str, int, bool]]:
        """Each shot drawn, in order with one worker; with several, as many at once, reported as each finishes."""
        width = min(self._parallelism(), len(shots))
        if width <= 1:
            yield from (draw(shot) for shot in shots)
            return
        with ThreadPoolExecutor(width, thread_name_prefix="storyboard-shot") as pool:
            futures = [pool.submit(draw, shot) for shot in shots]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def _claim(self, scene: SceneInfo, style: str, actor: Actor, wait: bool,
               on_wait: Callable[[StoryboardBusy], None] | None) -> Claim:
        """This job's claim on the scene in the style, once no other live job holds it."""
        told: StoryboardBusy | None = None
        while isinstance(taken := self._claims.take(scene.id, style, user=actor.name), Holder):
            busy = self._busy(scene, style, taken)
            if not wait:
                raise JobInProgress(f"{busy.message}: wait for it to finish, or draw another scene or style meanwhile")
            if on_wait is not None and busy != told:
                on_wait(busy)
            told = busy
            time.sleep(POLL_SECONDS)
        return taken

    def _busy(self, scene: SceneInfo, style: str, holder: Holder) -> StoryboardBusy:
        with self._database.unit_of_work() as work:
            drawn = sum(1 for shot in scene.shots if _drawn_in_style(work.scenes.frames_of_shot(shot.id), style))
        return StoryboardBusy(scene.number, style, holder.user, holder.host, holder.pid, holder.since, drawn,
                              len(scene.shots))

    def _shot(self, request: StoryboardRequest, scene: SceneInfo, shot: ShotInfo, result: StoryboardResult,
              actor: Actor) -> tuple[int, bool]:
        """The shot's frame in the style, and whether it was kept (drawn before) rather than drawn now."""
        with self._database.unit_of_work() as work:
            existing = _drawn_in_style(work.scenes.frames_of_shot(shot.id), request.style)
        seed = result.seeds[scene.number]
        if existing:
            return existing[-1].id, True
        try:
            frames = self._frames.generate(FrameRequest(
                kind="storyboard", project=request.project, scene=scene.number, shot=shot.order,
                style=request.style, seed=seed, steps=request.steps, width=request.width, height=request.height,
                aspect=request.aspect,
            ), actor=actor, before_commit=_not_drawn_meanwhile(shot.id, request.style))
        except _ShotDrawn as drawn:
            return drawn.frame_id, True
        return frames[0].id, False

    def shot_list(self, project: str, scene: str | None = None, *, actor: Actor) -> ShotList:
        """Every shot of the project (or of one scene) with its camera block, and the frame a sheet would print:
        its select, else its newest storyboard frame, with that frame's review status."""
        actor.require(Action.VIEW)
        infos = ([self._scenes.scene(project, scene, actor=actor)] if scene is not None
                 else self._scenes.scenes(project, actor=actor))
        rows = []
        with self._database.unit_of_work() as work:
            for info in infos:
                for shot in info.shots:
                    frames = [frame for frame in work.scenes.frames_of_shot(shot.id) if frame.kind == "storyboard"]
                    chosen = select_of(work, frames) or (frames[-1] if frames else None)
                    status = current_statuses(work, [chosen.id])[chosen.id].replace("_", " ") if chosen else "not drawn"
                    rows.append(ShotListRow(
                        info.number, str(shot.order), shot.size, shot.angle, f"{shot.lens_mm} mm", shot.movement,
                        shot.description, shot.dialogue, ", ".join(shot.characters), status,
                        str(chosen.id) if chosen else ""))
        where = f"scene {infos[0].number} — {infos[0].heading}" if scene is not None else f"{len(infos)} scenes"
        return ShotList(f"{project} — shot list, {where}", rows)

    def _scene_seed(self, request: StoryboardRequest, scene: SceneInfo, result: StoryboardResult) -> None:
        """The base seed all the scene's shots share, chosen before any of them is drawn."""
        with self._database.unit_of_work() as work:
            result.seeds[scene.number] = (request.seed if request.seed is not None
                                          else _earlier_seed(work, scene, request.style))
    def aspect(self, project: str, *, actor: Actor) -> str:
        """The aspect ratio the project's storyboards are drawn in unless a board names another."""
        actor.require(Action.VIEW)
        with self._database.unit_of_work() as work:
            return work.projects.get(check_project_name(project)).aspect or DEFAULT_ASPECT

    def set_aspect(self, project: str, aspect: str, *, actor: Actor) -> str:
        """Set the project's aspect ratio (one of ASPECT_RATIOS); frames drawn before keep theirs."""
        actor.require(Action.BUILD_STORYBOARD)
        aspect_ratio(aspect)
        name = aspect.strip().replace(" ", "")
        with self._database.unit_of_work() as work:
            work.projects.set_aspect(check_project_name(project), name)
        return name

    def _picture(self, frame: Frame) -> tuple[Image.Image, str]:
        """What a panel shows: the frame, or for a placeholder model's frame its blockout (cut like the frame),
        with the notice that says so."""
        record = FrameRecord.from_json(frame.record)
        blockout = self._frames.input_picture(record, BLOCKOUT_ROLE) if record.generation.model.placeholder else None
        if blockout is not None:
            crop = record.generation.crop
            return (blockout if crop is None else blockout.crop(crop.box)), PLACEHOLDER_NOTICE
        with Image.open(self._files.absolute(frame.path)) as opened:
            return opened.convert("RGB"), ""

    def sheet(self, project: str, scenes: Sequence[str], *, columns: int = 3, page_size: str = "A4",
              style: str | None = None, rows: int | None = None, actor: Actor) -> Sheet:
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
                    picture, notice = self._picture(chosen)
                    status = current_statuses(work, [chosen.id])[chosen.id]
                    panels.append(Panel(picture, label, scene.heading, shot.description, shot.dialogue,
                                        str(chosen.id), status.replace("_", " "), camera_block(shot.to_shot()),
                                        notice))
                    frame_ids.append(chosen.id)
        if not panels:
            which = f"scene(s) {', '.join(scenes)}" if scenes else "the project: no scene was chosen"
            raise InvalidRequest(f"no frames to lay out for {which}: build the storyboard first")
        title = (f"Scene {infos[0].number} — {infos[0].heading}" if len(infos) == 1
                 else f"Scenes {', '.join(scene.number for scene in infos)}")
        header = SheetHeader(project=project, title=title, subtitle=f"{len(panels)} shots",
                             generated_on=datetime.now(UTC).date().isoformat())
        return Sheet(render_pdf(panels, header, columns=columns, rows=rows, page_size=page_size),
                     render_png_pages(panels, header, columns=columns, rows=rows, page_size=page_size),
                     frame_ids, missing)
