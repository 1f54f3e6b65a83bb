"""The facade every front end calls (CLI, Gradio UI, Python), built once by ``open_studio``.

Front ends turn user input into named requests and show results; everything that must not be skipped
(validation, storage of file and record together, and later the consent gate and provenance) happens here.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from previs.access.permissions import Action, Actor, Role
from previs.app.fittings import FittingResult, fit_costume
from previs.app.recording import HEAD_FILE, FrameContext, FrameRecorder, InputImage, ledger_entry
from previs.app.reviews import ReviewDesk, current_statuses
from previs.app.scenes import SceneDesk, SceneInfo, ShotInfo
from previs.app.storyboards import (
    Sheet,
    ShotProgress,
    StoryboardRequest,
    StoryboardResult,
    build_storyboard,
    storyboard_sheet,
)
from previs.consent.registry import ConsentRegistry, LikenessUse
from previs.errors import InvalidRequest, ModelUnavailable, NotFound
from previs.fitting.request import FittingRequest
from previs.generation.generator import GeneratedImage, GenerationRequest, Generator
from previs.generation.models import PRESETS, TINY_MODEL, TINY_NOTICE, is_available_offline, resolve_model
from previs.media.imaging import pixel_sha256
from previs.media.uploads import Upload, check_document_upload, check_image_file
from previs.prompts import CostumeDetails, load_library
from previs.provenance.credentials import export_jpeg
from previs.provenance.identity import load_or_create_identity
from previs.provenance.ledger import ChainReport, verify_chain
from previs.provenance.verify import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, LedgerMatch, Verification, verify_image
from previs.settings import Settings
from previs.storage import Database, FileStore, Frame
from previs.storage.projects import check_project_name

log = logging.getLogger(__name__)

FRAME_KINDS = ("set", "costume", "storyboard")
Derived = Callable[[list[GeneratedImage], FrameContext], list[tuple[list[GeneratedImage], FrameContext]]]
DEFAULT_PROJECT = "default"


@dataclass(frozen=True)
class FrameRequest:
    """A request for concept frames, as any front end states it.

    With a ``scene`` (a stored scene number of the project) or a ``style``, or for costume and storyboard
    frames, the prompt is rendered from the department's template to fit the text encoder, and ``prompt``
    (if any) describes the scene instead of a stored one. Otherwise ``prompt`` goes to the model as written.
    """

    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str = "default"
    count: int = 1
    project: str = DEFAULT_PROJECT
    kind: str = "set"
    scene: str | None = None
    shot: int | None = None  # storyboard frames: the shot's order in the scene (default 1)
    style: str | None = None
    costume: str = ""  # costume frames: the garment, e.g. "a belted wool trench coat, 1940s"

    @property
    def templated(self) -> bool:
        return self.scene is not None or self.style is not None or self.kind in ("costume", "storyboard")


@dataclass(frozen=True)
class FrameInfo:
    """A stored frame as front ends see it."""

    id: int
    project: str
    kind: str
    path: str
    sha256: str  # of the decoded RGB pixels: equal for equal pictures, whatever metadata the file carries
    file_sha256: str  # of the stored PNG file (its embedded record makes every file unique)
    seed: int
    model: str
    width: int
    height: int
    created_by: str
    created_at: str
    status: str
    record: dict[str, Any] = field(repr=False)
    review: str = "pending"  # the newest review decision: pending | approved | changes_requested | rejected
    scene_id: int | None = None
    shot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelStatus:
    """What is generating frames right now, and whether users must be told they are placeholders."""

    name: str
    source: str
    loaded: bool
    placeholder: bool
    warning: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelListing:
    name: str
    source: str
    pipeline: str
    steps: int
    guidance: float
    size: str
    licence: str
    available_offline: bool
    current: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reproduction:
    """Whether re-running a frame's recorded request gave the same picture."""

    frame_id: int
    identical: bool
    recorded_sha256: str
    reproduced_sha256: str
    model: str
    device: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Export:
    """An exported frame file, credentials included, with a download name that never came from a user."""

    frame_id: int
    filename: str
    mime_type: str
    data: bytes = field(repr=False)


class Studio:
    """One per process. Holds the database, files, model, consent registry and signer; thread-safe."""

    def __init__(self, settings: Settings, database: Database, files: FileStore, generator: Generator,
                 consent: ConsentRegistry, recorder: FrameRecorder):
        self.settings = settings
        self.reviews = ReviewDesk(database, consent.expire_due)
        self.scenes = SceneDesk(database)
        self.prompts = load_library()
        self.database = database
        self.files = files
        self.generator = generator
        self.consent = consent
        self.recorder = recorder
        self._fallback_warning = ""

    @property
    def local_actor(self) -> Actor:
        """Who acts for the CLI and Python callers that name nobody: the studio's local administrator."""
        return Actor(self.settings.user, Role.ADMIN)

    # -- models ----------------------------------------------------------------------------------------

    def model_status(self) -> ModelStatus:
        spec = self.generator.spec
        warning = " ".join(part for part in (self._fallback_warning, TINY_NOTICE if spec.is_tiny else "") if part)
        return ModelStatus(spec.name, spec.source, self.generator.loaded, spec.is_tiny, warning)

    def load_model(self, *, fall_back_to_tiny: bool = False) -> ModelStatus:
        """Load the configured model now. The app falls back to previs-tiny, loudly; the CLI does not."""
        try:
            self.generator.load()
        except ModelUnavailable as error:
            if not fall_back_to_tiny or self.generator.spec.is_tiny:
                raise
            log.warning("%s Falling back to %s.", error, TINY_MODEL)
            self._fallback_warning = f"{error} Using the offline placeholder model instead."
            self.generator = Generator(TINY_MODEL, self.settings.models_dir, fast_paths=self.settings.fast_paths)
            self.generator.load()
        return self.model_status()

    def list_models(self) -> list[ModelListing]:
        current = self.generator.spec.source
        listings = [
            ModelListing(p.name, p.source, p.pipeline, p.steps, p.guidance, f"{p.width}x{p.height}", p.licence,
                         is_available_offline(resolve_model(p.name)), p.source == current)
            for p in PRESETS.values()
        ]
        if current not in {p.source for p in PRESETS.values()}:
            spec = self.generator.spec
            listings.append(ModelListing(spec.name, spec.source, "auto", spec.preset.steps, spec.preset.guidance,
                                         f"{spec.preset.width}x{spec.preset.height}", spec.preset.licence,
                                         is_available_offline(spec), True))
        return listings

    # -- frames ----------------------------------------------------------------------------------------

    def generate(self, request: FrameRequest, *, actor: Actor | None = None) -> list[FrameInfo]:
        """Generate and store concept frames; every frame of the request is stored, or none is."""
        actor = actor or self.local_actor
        actor.require(Action.BUILD_STORYBOARD if request.kind == "storyboard" else Action.GENERATE_SET)
        project = check_project_name(request.project)
        if request.kind not in FRAME_KINDS:
            raise InvalidRequest(f"unknown frame kind {request.kind!r}: use one of {', '.join(FRAME_KINDS)}")
        prompt, negative, context = self._prompt(request, project, actor)
        return self.run_generation(
            GenerationRequest(
                prompt=prompt, negative_prompt=negative, seed=request.seed,
                steps=request.steps, guidance=request.guidance, width=request.width, height=request.height,
                scheduler=request.scheduler, count=request.count,
            ),
            context,
            actor=actor,
        )

    def _prompt(self, request: FrameRequest, project: str, actor: Actor) -> tuple[str, str, FrameContext]:
        """The text the model gets, and the frame's context (scene, shot, template) it came from."""
        context = FrameContext(project=project, kind=request.kind, user=actor.name)
        if not request.templated:
            if not request.prompt.strip():
                raise InvalidRequest("prompt is empty: describe what the frame should show, or pick a scene")
            unread = unread_tail(request.prompt, *self.generator.token_counter())
            if unread:
                context = FrameContext(project=project, kind=request.kind, user=actor.name, details={
                    "prompt_fit": f"The text encoder reads only the start of this prompt; it ignores: {unread!r}. "
                                  "Shorten the prompt, or pick a scene and style to have it fitted."})
            return request.prompt, request.negative_prompt, context
        scene = self.scenes.scene(project, request.scene, actor=actor) if request.scene is not None else None
        if scene is not None and request.prompt.strip():
            raise InvalidRequest(f"pick scene {scene.number} or type a description, not both: the frame is drawn "
                                 "from the scene's own text, and the description would be ignored")
        if scene is None and not request.prompt.strip():
            raise InvalidRequest(f"a {request.kind} frame needs a scene number or a description of the scene")
        shot = self._shot(scene, request) if request.kind == "storyboard" else None
        count_tokens, token_limit = self.generator.token_counter()
        rendered = self.prompts.render(
            request.kind, scene=scene.to_scene() if scene else None,
            description=None if scene else request.prompt, shot=shot.to_shot() if shot else None,
            costume=CostumeDetails(request.costume) if request.kind == "costume" else None,
            style=request.style, count_tokens=count_tokens, token_limit=token_limit,
        )
        negative = ", ".join(part for part in (rendered.negative_prompt, request.negative_prompt) if part)
        details: dict[str, Any] = {"prompt_template": rendered.to_record()}
        if scene is not None:
            details["scene"] = {"number": scene.number, "heading": scene.heading}
        if shot is not None:
            details["shot"] = {"order": shot.order, "description": shot.description, "size": shot.size,
                               "angle": shot.angle}
        return rendered.prompt, negative, FrameContext(
            project=project, kind=request.kind, user=actor.name, scene_id=scene.id if scene else None,
            shot_id=shot.id if shot else None, details=details,
        )

    @staticmethod
    def _shot(scene: SceneInfo | None, request: FrameRequest) -> ShotInfo:
        if scene is None:
            raise InvalidRequest("a storyboard frame needs --scene (and optionally --shot)")
        order = request.shot or 1
        found = next((shot for shot in scene.shots if shot.order == order), None)
        if found is None:
            raise InvalidRequest(f"scene {scene.number} has shots 1 to {len(scene.shots)}; there is no shot {order}")
        return found

    def vary(self, frame_id: int, *, count: int = 4, strength: float = 0.6, seed: int | None = None,
             changes: str = "", actor: Actor | None = None) -> list[FrameInfo]:
        """Variations of a stored frame (image-to-image over it, new seeds), optionally with requested
        ``changes`` added to its prompt; the new frames keep its scene and shot and name it as their parent."""
        actor = actor or self.local_actor
        actor.require(Action.GENERATE_SET)
        parent = self.get_frame(frame_id, actor=actor)
        generation = parent.record["generation"]
        with Image.open(parent.path) as opened:
            picture = opened.convert("RGB")
        context = FrameContext(
            project=parent.project, kind=parent.kind, user=actor.name, parent_id=parent.id,
            scene_id=parent.scene_id, shot_id=parent.shot_id,
            inputs=[InputImage("parent_frame", f"frame {parent.id}", Path(parent.path).read_bytes(), "init_image")],
            details={**_carried_details(parent.record), **({"changes": changes.strip()} if changes.strip() else {})},
        )
        return self.run_generation(
            GenerationRequest(prompt=", ".join(part for part in (changes.strip(), generation["prompt"]) if part),
                              negative_prompt=generation["negative_prompt"],
                              seed=seed, steps=generation["steps"], guidance=generation["guidance"],
                              scheduler=generation["scheduler"]["requested"], count=count,
                              mode="image-to-image", init_image=picture, strength=strength),
            context, actor=actor, likeness=_recorded_likeness(parent.record),
        )

    def run_generation(self, request: GenerationRequest, context: FrameContext, *, actor: Actor,
                       likeness: Sequence[LikenessUse] = (), derived: Derived | None = None) -> list[FrameInfo]:
        """The core path every frame takes: consent gate, generation, then record, sign, store and ledger.

        ``likeness`` lists the uses the caller knows of (a performer photo); the prompt is searched for
        registered performers here, so no caller can skip it. ``derived`` makes further frames from the
        generated ones (a fitting board), stored in the same transaction and under the same grants.
        """
        # 1. The consent gate, before any model work
        clearance = self.consent.clear(context.project, prompt=request.prompt, uses=likeness, actor=actor,
                                       detail={"kind": context.kind, "prompt": request.prompt[:300]})
        grant_ids = clearance.grant_ids
        # 2. Generate
        images = self.generator.generate(request)
        # 3. Record, sign and store together, re-checking that no grant ended meanwhile
        consent = {"grant_ids": grant_ids, "details": {**context.details,
                                                        "likeness_uses": [asdict(use) for use in clearance.uses]}}
        context = replace(context, **consent)
        groups = [(images, context)]
        if derived is not None:
            groups += [(more, replace(more_context, grant_ids=grant_ids,
                                      details={**more_context.details, **consent["details"]}))
                       for more, more_context in derived(images, context)]
        rows = self.recorder.store(groups, before_commit=lambda work: self.consent.still_active(work, grant_ids))
        return [self._info(row, context.project) for row in rows]

    def list_frames(self, *, project: str | None = None, kind: str | None = None, limit: int = 100,
                    actor: Actor | None = None) -> list[FrameInfo]:
        """Frames users may see: those whose consent was withdrawn are left out."""
        (actor or self.local_actor).require(Action.VIEW)
        if not 1 <= limit <= 10_000:
            raise InvalidRequest(f"limit {limit} is out of range: use 1 to 10000")
        self.consent.expire_due()
        with self.database.unit_of_work() as work:
            if project is not None:
                work.projects.get(project)
            rows = work.frames.list(project=project, limit=limit, kind=kind)
            reviews = current_statuses(work, [row.id for row in rows])
            return [self._info(row, row.project.name, reviews[row.id]) for row in rows]

    def get_frame(self, frame_id: int, *, actor: Actor | None = None) -> FrameInfo:
        (actor or self.local_actor).require(Action.VIEW)
        self.consent.expire_due()
        with self.database.unit_of_work() as work:
            row = work.frames.get(frame_id)
            if row.status != "active":
                raise NotFound(f"frame {frame_id} is withdrawn: the consent it relied on was revoked or expired")
            return self._info(row, row.project.name, current_statuses(work, [row.id])[row.id])

    def pending_frames(self, *, project: str | None = None, limit: int = 200,
                       actor: Actor | None = None) -> list[FrameInfo]:
        """The review queue (``reviews.pending``) as frames, oldest first, for front ends that show them."""
        frame_ids = self.reviews.pending(project=project, limit=limit, actor=actor or self.local_actor)
        with self.database.unit_of_work() as work:
            rows = [work.frames.get(frame_id) for frame_id in frame_ids]
            return [self._info(row, row.project.name) for row in rows if row.status == "active"]

    def _info(self, row: Frame, project: str, review: str = "pending") -> FrameInfo:
        created_at = row.created_at
        if created_at.tzinfo is None:  # SQLite drops the zone; stored values are UTC
            created_at = created_at.replace(tzinfo=UTC)
        return FrameInfo(
            id=row.id, project=project, kind=row.kind, path=str(self.files.absolute(row.path)),
            sha256=row.sha256, file_sha256=row.file_sha256, seed=row.seed, model=row.model, width=row.width,
            height=row.height,
            created_by=row.created_by, created_at=created_at.isoformat(timespec="seconds"), status=row.status,
            record=row.record, review=review, scene_id=row.scene_id, shot_id=row.shot_id,
        )

    # -- costume fittings ------------------------------------------------------------------------------

    def fit_costume(self, request: FittingRequest, *, project: str = DEFAULT_PROJECT,
                    actor: Actor | None = None) -> FittingResult:
        """A costume painted onto a figure or a consenting performer's photo, N variants and their board."""
        return fit_costume(self, request, project=project, actor=actor or self.local_actor)

    # -- storyboards -----------------------------------------------------------------------------------

    def build_storyboard(self, request: StoryboardRequest, *, actor: Actor | None = None,
                         progress: Callable[[ShotProgress], None] | None = None) -> StoryboardResult:
        """Draw every shot of the scenes not drawn yet in the style (resumable), reporting each shot."""
        return build_storyboard(self, request, actor=actor or self.local_actor, progress=progress)

    def storyboard_sheet(self, project: str, scenes: Sequence[str], *, columns: int = 3, page_size: str = "A4",
                         style: str | None = None, actor: Actor | None = None) -> Sheet:
        return storyboard_sheet(self, project, scenes, columns=columns, page_size=page_size, style=style,
                                actor=actor or self.local_actor)

    # -- provenance ------------------------------------------------------------------------------------

    def verify(self, data: bytes) -> Verification:
        """Judge any image: signed here and unaltered, signed elsewhere, altered, stripped, or unknown."""
        return verify_image(data, trust_anchors_pem=self.recorder.identity.trust_anchors_pem,
                            lookup=self._ledger_lookup)

    def verify_upload(self, upload: Upload, *, actor: Actor | None = None) -> Verification:
        """``verify`` for an uploaded file (bytes, or a front end's temporary file), checked as every upload is."""
        (actor or self.local_actor).require(Action.VERIFY)
        return self.verify(check_image_file(upload, what="image to verify", max_bytes=MAX_IMAGE_BYTES,
                                            max_pixels=MAX_IMAGE_PIXELS))

    def _ledger_lookup(self, file_sha256: str, pixel_sha256: str) -> LedgerMatch | None:
        with self.database.unit_of_work() as work:
            row = work.ledger.by_frame_sha256(file_sha256)
            matched_by = "file"
            if row is None:
                row, matched_by = work.ledger.by_pixel_sha256(pixel_sha256), "pixels"
            if row is None:
                return None
            return LedgerMatch(frame_id=str(row.frame_id), sequence=row.sequence, matched_by=matched_by)

    def verify_ledger(self, *, actor: Actor | None = None) -> ChainReport:
        """Walk the hash chain against the head kept beside the database."""
        (actor or self.local_actor).require(Action.VERIFY)
        with self.database.unit_of_work() as work:
            entries = [ledger_entry(row) for row in work.ledger.all()]
        return verify_chain(entries, expected_head=self.recorder.kept_head())

    def reproduce(self, frame_id: int, *, actor: Actor | None = None) -> Reproduction:
        """Re-run a frame's recorded request (same batch, same inputs) and compare the pixels."""
        actor = actor or self.local_actor
        frame = self.get_frame(frame_id, actor=actor)
        generation = frame.record["generation"]
        if frame.record.get("composed"):  # a board: composed from variants, not drawn by the model
            raise InvalidRequest(f"frame {frame_id} is a composed board; reproduce its variant frames instead")
        if generation["model"]["source"] != self.generator.spec.source:
            raise InvalidRequest(f"frame {frame_id} was made with {generation['model']['name']}; start previs with "
                                 f"--model {generation['model']['source']} to reproduce it")
        self.consent.clear(frame.project, prompt=generation["prompt"], uses=_recorded_likeness(frame.record),
                           actor=actor, detail={"kind": "reproduce", "frame_id": frame_id})
        images = self.generator.generate(GenerationRequest(
            prompt=generation["prompt"], negative_prompt=generation["negative_prompt"], seed=generation["seeds"][0],
            steps=generation["steps"], guidance=generation["guidance"], width=generation["width"],
            height=generation["height"], scheduler=generation["scheduler"]["requested"],
            count=len(generation["seeds"]), mode=generation["mode"], strength=generation.get("strength", 0.75),
            **self._recorded_inputs(frame.record),
        ))
        index = generation["batch"]["index"]
        reproduced = pixel_sha256(images[index].image)
        return Reproduction(frame_id, reproduced == frame.sha256, frame.sha256, reproduced,
                            generation["model"]["name"], generation["device"])

    def _recorded_inputs(self, record: dict[str, Any]) -> dict[str, Image.Image]:
        """The input pictures the generator was fed (kept by sha256 in the inputs store)."""
        found: dict[str, Image.Image] = {}
        for item in record.get("inputs", []):
            if item.get("feeds"):
                data = self.recorder.inputs.read(self.recorder.inputs.relative_path(item["sha256"]))
                image = Image.open(io.BytesIO(data))
                found[item["feeds"]] = image.convert("L" if item["feeds"] == "mask_image" else "RGB")
        return found

    def export(self, frame_id: int, *, image_format: str = "png", actor: Actor | None = None) -> Export:
        """The frame as stored (PNG), or a JPEG signed in its own right and entered in the ledger."""
        actor = actor or self.local_actor
        frame = self.get_frame(frame_id, actor=actor)
        data = Path(frame.path).read_bytes()
        stem = f"previs-{frame.project.replace(' ', '_')}-frame{frame.id}"
        if image_format == "png":
            return Export(frame.id, f"{stem}.png", "image/png", data)
        if image_format not in ("jpeg", "jpg"):
            raise InvalidRequest(f"unknown export format {image_format!r}: use png or jpeg")
        jpeg = export_jpeg(data, record=frame.record, identity=self.recorder.identity,
                           title=f"previs frame {frame.id} ({frame.project}), JPEG export")
        self.recorder.enter_copy(frame.id, jpeg, frame.record)
        return Export(frame.id, f"{stem}.jpg", "image/jpeg", jpeg)

    def close(self) -> None:
        self.database.close()


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


def _recorded_likeness(record: dict[str, Any]) -> list[LikenessUse]:
    return [LikenessUse(**use) for use in record.get("likeness_uses", [])]


def _carried_details(record: dict[str, Any]) -> dict[str, Any]:
    """What a variation keeps from its parent's record: the prompt template, scene, shot and costume."""
    return {key: record[key] for key in ("prompt_template", "scene", "shot", "costume", "fitting") if key in record}


def check_evidence(data: Upload) -> tuple[bytes, str]:
    return check_document_upload(data, what="the consent evidence document")


def open_studio(settings: Settings, *, generator: Generator | None = None,
                clock: Callable[[], datetime] | None = None) -> Studio:
    """The composition root: builds storage, registry, signer and generator once; the model loads on first use."""
    home: Path = settings.home
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidRequest(
            f"cannot use {home} as the data directory ({error.strerror}): set PREVIS_HOME to a writable folder"
        ) from error
    database = Database(settings.db_url)
    frames = FileStore(home, "frames")
    consent = ConsentRegistry(database, evidence=FileStore(home, "evidence"),
                              withdrawn=FileStore(home, "withdrawn"), frames=frames, policy=settings.consent_policy,
                              clock=clock, check_evidence=check_evidence)
    identity = load_or_create_identity(home / "signing", cert_file=settings.signing_cert,
                                       key_file=settings.signing_key, studio=settings.studio_name)
    recorder = FrameRecorder(database, frames, FileStore(home, "inputs"), identity, home / HEAD_FILE)
    generator = generator or Generator(settings.model, settings.models_dir, device=settings.device,
                                       dtype=settings.dtype, fast_paths=settings.fast_paths)
    return Studio(settings, database, frames, generator, consent, recorder)
