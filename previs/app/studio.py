"""The studio: a container of desks, one per capability, built once by ``open_studio`` (the composition root).

Front ends (CLI, Gradio UI and its API, Python callers) turn user input into named requests and call a desk;
every desk method that touches user data takes the acting ``Actor`` and checks its role first. Everything
that must not be skipped — the consent gate, provenance, storing record and file together — happens in the
desks and the frame pipeline below them, so no front end can go around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from previs.access.permissions import Actor, Role
from previs.app.fittings import FittingDesk
from previs.app.frames import FrameDesk
from previs.app.lifecycle import open_data
from previs.app.models import ModelDesk
from previs.app.pipeline import FramePipeline
from previs.app.provenance import ProvenanceDesk
from previs.app.recording import HEAD_FILE, FrameRecorder
from previs.app.recovery import recover
from previs.app.reviews import ReviewDesk
from previs.app.scenes import SceneDesk
from previs.app.storyboards import StoryboardDesk
from previs.consent.registry import ConsentRegistry
from previs.generation.generator import Generator
from previs.generation.workers import WorkerPool, open_pool
from previs.media.uploads import Upload, check_document_upload, load_image_upload
from previs.prompts import PromptLibrary, load_library
from previs.settings import Settings
from previs.storage import Database, FileStore


@dataclass(frozen=True)
class Studio:
    """One per process; thread-safe. Each attribute is a desk front ends call with an actor."""

    settings: Settings
    models: ModelDesk
    frames: FrameDesk
    scenes: SceneDesk
    fittings: FittingDesk
    storyboards: StoryboardDesk
    reviews: ReviewDesk
    consent: ConsentRegistry
    provenance: ProvenanceDesk
    prompts: PromptLibrary
    database: Database
    frame_files: FileStore
    workers: WorkerPool | None = None  # a worker pool this studio opened (PREVIS_WORKERS), closed with it

    @property
    def local_actor(self) -> Actor:
        """Who acts for the CLI and Python callers that name nobody: the studio's local administrator."""
        return Actor(self.settings.user, Role.ADMIN)

    @property
    def data_directory(self) -> Path:
        """The studio's data directory (database, users file, signing keys, stores)."""
        return self.settings.home

    @property
    def served_directory(self) -> Path:
        """The only folder whose files a front end may serve: active frames (withdrawn ones live elsewhere)."""
        return self.frame_files.directory

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()
        self.database.close()


def check_evidence(data: Upload) -> tuple[bytes, str]:
    return check_document_upload(data, what="the consent evidence document")


def check_reference_photo(data: Upload) -> Image.Image:
    return load_image_upload(data, what="the reference photo")


def open_studio(settings: Settings, *, generator: Generator | None = None, workers: WorkerPool | None = None,
                clock: Callable[[], datetime] | None = None) -> Studio:
    """Build storage, registry, signer, generator and desks once; the model loads on first use.

    ``workers`` is a pool the caller owns (tests share one cluster); without it PREVIS_WORKERS decides, and a pool
    opened here is closed with the studio. With workers the studio still loads the model's tokenizers through its
    own generator, on the CPU: the gate reads what the text encoders receive."""
    home: Path = settings.home
    opened = open_data(settings)  # refuses a lost database or signing identity; read-only homes are read
    database, identity = opened.database, opened.identity
    frame_files = FileStore(home, "frames")
    consent = ConsentRegistry(database, evidence=FileStore(home, "evidence"),
                              withdrawn=FileStore(home, "withdrawn"), frames=frame_files,
                              policy=settings.consent_policy, clock=clock, check_evidence=check_evidence,
                              check_photo=check_reference_photo, photos=FileStore(home, "photos"))
    consent.reindex_names()  # the name-word index built with today's word keys (after 0007, or a new matcher)
    # The one read-time rule: grants past their end date are expired (their frames withdrawn) before any read.
    database.add_read_rule(consent.expire_due)
    recorder = FrameRecorder(database, frame_files, FileStore(home, "inputs"), identity, home / HEAD_FILE,
                             origin=f"previs/{opened.studio_id}")
    if opened.read_only is None:  # finish or undo what a process that died left (staged files, file moves)
        recover(database, home, recorder)
        recorder.log.backfill()  # a ledger older than its persisted Merkle nodes (0012_ledger_nodes)
    try:
        owned = open_pool(settings) if workers is None else None
    except BaseException:
        database.close()
        raise
    pool = workers or owned
    models = ModelDesk(settings, generator or Generator(
        settings.model, settings.models_dir, device="cpu" if pool is not None else settings.device,
        dtype=None if pool is not None else settings.dtype, fast_paths=settings.fast_paths), pool)
    prompts = load_library()
    pipeline = FramePipeline(consent, models, recorder, frame_files)
    scenes = SceneDesk(database)
    reviews = ReviewDesk(database)
    frames = FrameDesk(database, pipeline, models, scenes, reviews, prompts, recorder)
    return Studio(
        settings=settings, models=models, frames=frames, scenes=scenes,
        fittings=FittingDesk(pipeline, models, prompts),
        storyboards=StoryboardDesk(database, frames, scenes, prompts, frame_files,
                                   parallelism=lambda: models.parallelism),
        reviews=reviews, consent=consent, provenance=ProvenanceDesk(database, frames, recorder),
        prompts=prompts, database=database, frame_files=frame_files, workers=owned,
    )
