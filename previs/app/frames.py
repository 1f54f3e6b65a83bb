"""The frames desk: set concepts (typed or from a stored scene, in a style), variations, listing, reproduction.

Prompts are rendered here from the department templates, fitted to the loaded model's text encoder; the
pictures themselves are made by the frame pipeline, so every frame passes the consent gate and is signed.
"""

from __future__ import annotations

import builtins
import functools
import io
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path

from PIL import Image

from previs.access.permissions import Action, Actor
from previs.app.blockouts import steer
from previs.app.models import ModelDesk
from previs.app.pipeline import Check, FramePipeline
from previs.app.recording import FrameContext, FrameRecorder, InputImage
from previs.app.requests import (
    FRAME_KINDS,
    LIBRARY_PAGE,
    FrameInfo,
    FrameRequest,
    LibraryFilters,
    LibraryPage,
    Lineage,
    Reproduction,
)
from previs.app.reviews import PAGE, STATUSES, ReviewDesk, current_statuses
from previs.app.scenes import SceneDesk, SceneInfo, ShotInfo
from previs.errors import InvalidRequest, NotFound
from previs.generation.limits import GenerationRequest, StepReport, frame_size
from previs.media.imaging import pixel_sha256
from previs.prompts import CostumeDetails, PromptLibrary
from previs.provenance.record import FrameDetails, FrameRecord, SceneRef, ShotRef
from previs.scenes.model import DEFAULT_ASPECT, aspect_ratio
from previs.storage import Database
from previs.storage.projects import check_project_name

WITHDRAWN_MESSAGE = "frame {} is withdrawn: the consent it relied on was revoked or expired"


class FrameDesk:
    """Frames of every kind as users ask for them; each method checks the actor's role first."""

    def __init__(self, database: Database, pipeline: FramePipeline, models: ModelDesk, scenes: SceneDesk,
                 reviews: ReviewDesk, prompts: PromptLibrary, recorder: FrameRecorder):
        self._database = database
        self._pipeline = pipeline
        self._models = models
        self._scenes = scenes
        self._reviews = reviews
        self._prompts = prompts
        self._recorder = recorder

    def generate(self, request: FrameRequest, *, actor: Actor, before_commit: Check | None = None) -> list[FrameInfo]:
        """Generate and store concept frames; every frame of the request is stored, or none is.

        ``before_commit`` runs inside the storing transaction (``FramePipeline.run``).
        """
        actor.require(Action.BUILD_STORYBOARD if request.kind == "storyboard" else Action.GENERATE_SET)
        project = check_project_name(request.project)
        if request.kind not in FRAME_KINDS:
            raise InvalidRequest(f"unknown frame kind {request.kind!r}: use one of {', '.join(FRAME_KINDS)}")
        prompt, negative, context = self._prompt(request, project, actor)
        generation = GenerationRequest(
            prompt=prompt, negative_prompt=negative, seed=request.seed,
            steps=request.steps, guidance=request.guidance, width=request.width, height=request.height,
            scheduler=request.scheduler, count=request.count, on_step=request.on_step,
        )
        aspect = self._aspect(request, project)
        if aspect is not None:
            native_w, native_h = self._models.native_size
            width, height = frame_size(request.width or native_w, request.height or native_h, aspect)
            generation = replace(generation, width=width, height=height, aspect=aspect)
        if request.kind == "storyboard" and context.shot_id is not None:
            generation, context = self._steered(generation, context, request, project, actor)
        return self._pipeline.run(generation, context, actor=actor, before_commit=before_commit)

    def _aspect(self, request: FrameRequest, project: str) -> str | None:
        """The frame's aspect ratio: the request's, else for storyboards the project's (else DEFAULT_ASPECT)."""
        if request.aspect is not None:
            aspect_ratio(request.aspect)  # one of the crews' ratios, or a message naming them
            return request.aspect.strip().replace(" ", "")
        if request.kind != "storyboard":
            return None
        with self._database.unit_of_work() as work:
            found = work.projects.find(project)
            return (found.aspect if found is not None else None) or DEFAULT_ASPECT

    def _steered(self, generation: GenerationRequest, context: FrameContext, request: FrameRequest, project: str,
                 actor: Actor) -> tuple[GenerationRequest, FrameContext]:
        """A storyboard frame drawn over its shot's blockout, kept as inputs and named in the record."""
        scene = self._scenes.scene(project, request.scene or "", actor=actor)
        shot = _shot(scene, request)
        steered, inputs, blockout = steer(generation, scene.to_scene(), shot.to_shot(),
                                          f"{scene.number}.{shot.order}", controlnet=self._models.has_controlnet)
        return steered, replace(context, inputs=[*context.inputs, *inputs],
                                details=replace(context.details, blockout=blockout))

    def _prompt(self, request: FrameRequest, project: str, actor: Actor) -> tuple[str, str, FrameContext]:
        """The text the model gets, and the frame's context (scene, shot, template) it came from."""
        if not request.templated:
            if not request.prompt.strip():
                raise InvalidRequest("prompt is empty: describe what the frame should show, or pick a scene")
            unread = unread_tail(request.prompt, *self._models.token_counter())
            fit = (f"The text encoder reads only the start of this prompt; it ignores: {unread!r}. "
                   "Shorten the prompt, or pick a scene and style to have it fitted.") if unread else None
            context = FrameContext(project=project, kind=request.kind, user=actor.name,
                                   details=FrameDetails(prompt_fit=fit))
            return request.prompt, request.negative_prompt, context
        scene = self._scenes.scene(project, request.scene, actor=actor) if request.scene is not None else None
        if scene is not None and request.prompt.strip():
            raise InvalidRequest(f"pick scene {scene.number} or type a description, not both: the frame is drawn "
                                 "from the scene's own text, and the description would be ignored")
        if scene is None and not request.prompt.strip():
            raise InvalidRequest(f"a {request.kind} frame needs a scene number or a description of the scene")
        shot = _shot(scene, request) if request.kind == "storyboard" else None
        count_tokens, token_limit = self._models.token_counter()
        rendered = self._prompts.render(
            request.kind, scene=scene.to_scene() if scene else None,
            description=None if scene else request.prompt, shot=shot.to_shot() if shot else None,
            costume=CostumeDetails(request.costume) if request.kind == "costume" else None,
            style=request.style, count_tokens=count_tokens, token_limit=token_limit,
        )
        negative = ", ".join(part for part in (rendered.negative_prompt, request.negative_prompt) if part)
        details = FrameDetails(
            prompt_template=rendered,
            scene=SceneRef(scene.number, scene.heading) if scene is not None else None,
            shot=ShotRef(shot.order, shot.description, shot.size, shot.angle) if shot is not None else None,
        )
        return rendered.prompt, negative, FrameContext(
            project=project, kind=request.kind, user=actor.name, scene_id=scene.id if scene else None,
            shot_id=shot.id if shot else None, details=details,
        )

    def vary(self, frame_id: int, *, count: int = 4, strength: float = 0.6, seed: int | None = None,
             changes: str = "", on_step: StepReport | None = None, actor: Actor) -> list[FrameInfo]:
        """Variations of a stored frame (image-to-image over it, new seeds), optionally with requested
        ``changes`` added to its prompt; the new frames keep its scene and shot and name it as their parent."""
        actor.require(Action.GENERATE_SET)
        parent = self.get(frame_id, actor=actor)
        generation = parent.record.generation
        if generation.prompt is None or generation.scheduler is None:
            raise InvalidRequest(f"frame {frame_id} is a composed board; vary one of its variants instead")
        with Image.open(parent.path) as opened:
            picture = opened.convert("RGB")
        changes = changes.strip()
        context = FrameContext(
            project=parent.project, kind=parent.kind, user=actor.name, parent_id=parent.id,
            scene_id=parent.scene_id, shot_id=parent.shot_id,
            inputs=[InputImage("parent_frame", f"frame {parent.id}", Path(parent.path).read_bytes(), "init_image")],
            details=replace(parent.record.details.carried(), changes=changes or None),
        )
        return self._pipeline.run(
            GenerationRequest(prompt=", ".join(part for part in (changes, generation.prompt) if part),
                              negative_prompt=generation.negative_prompt or "", seed=seed, steps=generation.steps,
                              guidance=generation.guidance, scheduler=generation.scheduler, count=count,
                              mode="image-to-image", init_image=picture, strength=strength, on_step=on_step),
            context, actor=actor, likeness=parent.record.details.likeness_uses or (),
        )

    def list(self, *, project: str | None = None, kind: str | None = None, limit: int = 100,
             actor: Actor) -> list[FrameInfo]:
        """Frames users may see: those whose consent was withdrawn are left out."""
        actor.require(Action.VIEW)
        if not 1 <= limit <= 10_000:
            raise InvalidRequest(f"limit {limit} is out of range: use 1 to 10000")
        with self._database.unit_of_work() as work:
            if project is not None:
                work.projects.get(project)
            rows = work.frames.list(project=project, limit=limit, kind=kind)
            reviews = current_statuses(work, [row.id for row in rows])
            return [self._pipeline.info(row, row.project.name, reviews[row.id]) for row in rows]

    def library(self, filters: LibraryFilters, *, before: int | None = None, after: int | None = None,
                limit: int = LIBRARY_PAGE, actor: Actor) -> LibraryPage:
        """A page of every frame users may see, newest first: older than ``before``, or the page newer than
        ``after``; withdrawn frames are left out."""
        actor.require(Action.VIEW)
        if not 1 <= limit <= 200:
            raise InvalidRequest(f"limit {limit} is out of range: use 1 to 200")
        if filters.kind is not None and filters.kind not in FRAME_KINDS:
            raise InvalidRequest(f"unknown frame kind {filters.kind!r}: use one of {', '.join(FRAME_KINDS)}")
        if filters.review is not None and filters.review not in STATUSES:
            raise InvalidRequest(f"unknown review status {filters.review!r}: use one of {', '.join(STATUSES)}")
        if filters.scene is not None and filters.project is None:
            raise InvalidRequest(f"scene {filters.scene} of which project? choose the project too")
        with self._database.unit_of_work() as work:
            if filters.project is not None:
                work.projects.get(filters.project)
            query = functools.partial(work.frames.library, project=filters.project, kind=filters.kind,
                                      scene=filters.scene, review=filters.review, created_by=filters.created_by)
            rows = query(before=before, after=after, limit=limit)
            reviews = current_statuses(work, [row.id for row in rows])
            frames = [self._pipeline.info(row, row.project.name, reviews[row.id]) for row in rows]
            newer = bool(rows) and bool(query(after=rows[0].id, limit=1))
            older = bool(rows) and bool(query(before=rows[-1].id, limit=1))
        return LibraryPage(frames, newer=newer, older=older)

    def lineage(self, frame_id: int, *, actor: Actor) -> Lineage:
        """The frame's parent (None when it has none or it was withdrawn) and its variations."""
        parent_id = self.get(frame_id, actor=actor).record.parent_frame_id
        with self._database.unit_of_work() as work:
            parent = work.frames.get(parent_id) if parent_id is not None else None
            parents = [parent] if parent is not None and parent.status == "active" else []
            rows = [*parents, *work.frames.variations_of(frame_id)]
            reviews = current_statuses(work, [row.id for row in rows])
            infos = [self._pipeline.info(row, row.project.name, reviews[row.id]) for row in rows]
        return Lineage(infos[0] if parents else None, infos[len(parents):])

    def get(self, frame_id: int, *, actor: Actor) -> FrameInfo:
        actor.require(Action.VIEW)
        with self._database.unit_of_work() as work:
            row = work.frames.get(frame_id)
            if row.status != "active":
                raise NotFound(WITHDRAWN_MESSAGE.format(frame_id))
            return self._pipeline.info(row, row.project.name, current_statuses(work, [row.id])[row.id])

    def withdrawn_files(self, file_sha256s: Collection[str]) -> set[str]:
        """Which of these frame-file digests are withdrawn: the web server drops its cached copies of them and
        refuses to serve them. Names no frame, project or user, so it needs no actor."""
        with self._database.unit_of_work() as work:
            return work.frames.withdrawn_files(file_sha256s)

    def pending(self, *, project: str | None = None, after: int = 0, limit: int = PAGE,
                actor: Actor) -> builtins.list[FrameInfo]:  # builtins: the method list() above shadows list
        """A page of the review queue as frames, oldest first, for front ends that show them."""
        frame_ids = self._reviews.pending(project=project, after=after, limit=limit, actor=actor)
        with self._database.unit_of_work() as work:
            rows = work.frames.with_ids(frame_ids)
            return [self._pipeline.info(row, row.project.name) for row in rows if row.status == "active"]

    def reproduce(self, frame_id: int, *, actor: Actor) -> Reproduction:
        """Re-run a frame's recorded request (same batch, same inputs) and compare the pixels."""
        frame = self.get(frame_id, actor=actor)
        generation = frame.record.generation
        if frame.record.composed:  # a board: composed from variants, not drawn by the model
            raise InvalidRequest(f"frame {frame_id} is a composed board; reproduce its variant frames instead")
        if generation.model.source != self._models.source:
            raise InvalidRequest(f"frame {frame_id} was made with {generation.model.name}; start previs with "
                                 f"--model {generation.model.source} to reproduce it")
        images = self._pipeline.rerun(
            GenerationRequest.from_record(generation, **self._recorded_inputs(frame.record)),
            project=frame.project, likeness=frame.record.details.likeness_uses or (), actor=actor,
            detail={"kind": "reproduce", "frame_id": frame_id})
        index = generation.batch.index if generation.batch is not None else 0
        reproduced = pixel_sha256(images[index].image)
        return Reproduction(frame_id, reproduced == frame.sha256, frame.sha256, reproduced,
                            generation.model.name, generation.device or "")

    def _recorded_inputs(self, record: FrameRecord) -> dict[str, Image.Image]:
        """The input pictures the generator was fed (kept by sha256 in the inputs store)."""
        return {item.feeds: self._input(item.sha256, "L" if item.feeds == "mask_image" else "RGB")
                for item in record.inputs if item.feeds}

    def input_picture(self, record: FrameRecord, role: str) -> Image.Image | None:
        """The frame's first input picture of ``role`` (a storyboard's blockout), None when it has none."""
        found = next((item for item in record.inputs if item.role == role), None)
        return None if found is None else self._input(found.sha256, "RGB")

    def _input(self, sha256: str, mode: str) -> Image.Image:
        data = self._recorder.inputs.read(self._recorder.inputs.relative_path(sha256))
        return Image.open(io.BytesIO(data)).convert(mode)


def _shot(scene: SceneInfo | None, request: FrameRequest) -> ShotInfo:
    if scene is None:
        raise InvalidRequest("a storyboard frame needs --scene (and optionally --shot)")
    order = request.shot or 1
    found = next((shot for shot in scene.shots if shot.order == order), None)
    if found is None:
        raise InvalidRequest(f"scene {scene.number} has shots 1 to {len(scene.shots)}; there is no shot {order}")
    return found


def unread_tail(prompt: str, count_tokens: Callable[[str], int], token_limit: int) -> str:
    """The words at the end of a prompt that the text encoder will not see ("" when it all fits)."""
    if count_tokens(prompt) <= token_limit:
        return ""
    words = prompt.split()
    low, high = 0, len(words)  # the longest prefix of words that fits
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(" ".join(words[:middle])) <= token_limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[low:])
