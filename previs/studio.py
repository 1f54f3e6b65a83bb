"""The facade every front end calls (CLI, Gradio UI, Python), built once by ``open_studio``.

Front ends turn user input into named requests and show results; everything that must not be skipped
(validation, storage of file and record together, and later the consent gate and provenance) happens here.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from previs import __version__
from previs.errors import InvalidRequest, ModelUnavailable
from previs.generation.generator import GeneratedImage, GenerationRequest, Generator
from previs.generation.models import PRESETS, TINY_MODEL, TINY_NOTICE, is_available_offline, resolve_model
from previs.imaging import encode_png, pixel_sha256, sha256_bytes
from previs.settings import Settings
from previs.storage import Database, Frame, FrameFiles, PlacedFile

log = logging.getLogger(__name__)

FRAME_KINDS = ("set", "costume", "storyboard")
DEFAULT_PROJECT = "default"
_PROJECT_NAME = re.compile(r"^[\w][\w .,'&()+-]{0,99}$")


@dataclass(frozen=True)
class FrameRequest:
    """A request for concept frames, as any front end states it."""

    prompt: str
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


def check_project_name(name: str) -> str:
    name = name.strip()
    if not _PROJECT_NAME.match(name):
        raise InvalidRequest(
            f"project name {name!r} is not allowed: use 1-100 letters, digits, spaces or . , ' & ( ) + - _"
        )
    return name


class Studio:
    """One per process. Holds the database, frame files and the model; safe to share between threads."""

    def __init__(self, settings: Settings, database: Database, files: FrameFiles, generator: Generator):
        self.settings = settings
        self.database = database
        self.files = files
        self.generator = generator
        self._fallback_warning = ""

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
            self.generator = Generator(TINY_MODEL, self.settings.models_dir)
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

    def generate(self, request: FrameRequest, *, user: str | None = None) -> list[FrameInfo]:
        """Generate and store frames; every frame of the request is stored, or none is."""
        # 1. Check what the generator does not know about
        project = check_project_name(request.project)
        if request.kind not in FRAME_KINDS:
            raise InvalidRequest(f"unknown frame kind {request.kind!r}: use one of {', '.join(FRAME_KINDS)}")
        # 2. Generate
        images = self.generator.generate(GenerationRequest(
            prompt=request.prompt, negative_prompt=request.negative_prompt, seed=request.seed,
            steps=request.steps, guidance=request.guidance, width=request.width, height=request.height,
            scheduler=request.scheduler, count=request.count,
        ))
        # 3. Store file and record together
        return self._store(images, project=project, kind=request.kind, user=user or self.settings.user)

    def _store(self, images: list[GeneratedImage], *, project: str, kind: str, user: str,
               parent_id: int | None = None) -> list[FrameInfo]:
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        encoded = []
        for generated in images:
            record = {
                "frame_uid": uuid.uuid4().hex,  # makes every stored file unique, even for equal pictures
                "previs_version": __version__,
                "kind": kind,
                "project": project,
                "created_by": user,
                "created_at": created_at,
                "parent_frame_id": parent_id,
                "sha256": pixel_sha256(generated.image),
                "generation": generated.generation,
            }
            data = encode_png(generated.image, record)
            encoded.append((generated, record, data, sha256_bytes(data)))
        placed: list[PlacedFile] = []
        try:
            for _, _, data, file_sha256 in encoded:
                placed.append(self.files.place(file_sha256, data))
            with self.database.unit_of_work() as work:
                project_row = work.projects.get_or_create(project)
                rows = [
                    work.frames.add(
                        project=project_row, kind=kind, sha256=record["sha256"], file_sha256=file_sha256,
                        path=file.relative_path, width=generated.image.width, height=generated.image.height,
                        seed=generated.seed, model=generated.generation["model"]["name"], record=record,
                        parent_id=parent_id, created_by=user,
                    )
                    for (generated, record, _, file_sha256), file in zip(encoded, placed, strict=True)
                ]
                infos = [self._info(row, project) for row in rows]
        except BaseException:
            for file in placed:
                file.undo()
            raise
        return infos

    def list_frames(self, *, project: str | None = None, limit: int = 100) -> list[FrameInfo]:
        if not 1 <= limit <= 10_000:
            raise InvalidRequest(f"limit {limit} is out of range: use 1 to 10000")
        with self.database.unit_of_work() as work:
            if project is not None:
                work.projects.get(project)
            return [self._info(row, row.project.name) for row in work.frames.list(project=project, limit=limit)]

    def get_frame(self, frame_id: int) -> FrameInfo:
        with self.database.unit_of_work() as work:
            row = work.frames.get(frame_id)
            return self._info(row, row.project.name)

    def _info(self, row: Frame, project: str) -> FrameInfo:
        created_at = row.created_at
        if created_at.tzinfo is None:  # SQLite drops the zone; stored values are UTC
            created_at = created_at.replace(tzinfo=UTC)
        return FrameInfo(
            id=row.id, project=project, kind=row.kind, path=str(self.files.absolute(row.path)),
            sha256=row.sha256, file_sha256=row.file_sha256, seed=row.seed, model=row.model, width=row.width,
            height=row.height,
            created_by=row.created_by, created_at=created_at.isoformat(timespec="seconds"), status=row.status,
            record=row.record,
        )

    def close(self) -> None:
        self.database.close()


def open_studio(settings: Settings) -> Studio:
    """The composition root: builds storage and generator once; the model itself loads on first use."""
    home: Path = settings.home
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidRequest(
            f"cannot use {home} as the data directory ({error.strerror}): set PREVIS_HOME to a writable folder"
        ) from error
    database = Database(settings.db_url)
    generator = Generator(settings.model, settings.models_dir, device=settings.device, dtype=settings.dtype)
    return Studio(settings, database, FrameFiles(home), generator)
