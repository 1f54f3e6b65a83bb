"""The frame pipeline: consent gate → generation → record, sign and store. The one way a frame is made.

Every desk that makes pictures (frames, fittings, storyboards through frames, reproductions) calls this
module, and nothing else calls the gate, the generator and the recorder together: no front end, Gradio
endpoint, CLI command or Python caller can produce a stored frame that skipped the gate or provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from previs.access.permissions import Actor
from previs.app.models import ModelDesk
from previs.app.recording import FrameContext, FrameRecorder, InputImage
from previs.app.requests import FrameInfo
from previs.consent.likeness import PHOTO_USE, Clearance, LikenessUse, Picture
from previs.consent.registry import ConsentRegistry
from previs.generation.limits import GeneratedImage, GenerationRequest
from previs.provenance.record import FrameRecord
from previs.storage import FileStore, Frame, UnitOfWork

Derived = Callable[[list[GeneratedImage], FrameContext], list[tuple[list[GeneratedImage], FrameContext]]]
Check = Callable[[UnitOfWork], None]


class FramePipeline:
    """Gate, generator and recorder, called in that order and only from here."""

    def __init__(self, consent: ConsentRegistry, models: ModelDesk, recorder: FrameRecorder, files: FileStore):
        self._consent = consent
        self._models = models
        self._recorder = recorder
        self._files = files

    def run(self, request: GenerationRequest, context: FrameContext, *, actor: Actor,
            likeness: Sequence[LikenessUse] = (), derived: Derived | None = None,
            before_commit: Check | None = None) -> list[FrameInfo]:
        """Make and store frames; every frame of the request (and of ``derived``) is stored, or none is.

        ``likeness`` lists the uses the caller knows of (a performer photo); the prompt, and what every text
        encoder of the loaded model receives for it, is searched for registered performers by the gate, so no
        caller can skip it, and so are the faces in the input picture and, before anything is stored, in every
        generated image. ``derived`` makes further frames from the
        generated ones (a fitting board), stored in the same transaction and under the same grants.
        ``before_commit`` is the caller's own check inside that transaction (a storyboard shot not drawn
        meanwhile); raising there stores nothing.
        """
        self._recorder.database.require_writable()  # a read-only snapshot: say so before the model draws
        # 1. The consent gate, before the model draws
        detail = {"kind": context.kind, "prompt": request.prompt[:300]}
        clearance = self._gate(request, context.project, likeness, actor, detail,
                               _pictures(request, context.inputs, likeness))
        # 2. Generate, and search what was drawn for registered faces (a disguised prompt cannot disguise pixels)
        images = self._models.generate(request)
        clearance = self._consent.clear_output(context.project, [item.image for item in images], clearance,
                                               actor=actor, detail=detail)
        grant_ids = clearance.grant_ids
        # 3. Record, sign and store together, re-checking that no grant ended meanwhile
        uses, faces = tuple(clearance.uses), tuple(clearance.faces) or None
        context = replace(context, grant_ids=grant_ids,
                          details=replace(context.details, likeness_uses=uses, faces=faces))
        groups = [(images, context)]
        if derived is not None:
            groups += [(more, replace(more_context, grant_ids=grant_ids,
                                      details=replace(more_context.details, likeness_uses=uses, faces=faces)))
                       for more, more_context in derived(images, context)]

        def checks(work: UnitOfWork) -> None:
            self._consent.still_active(work, grant_ids)
            if before_commit is not None:
                before_commit(work)

        rows = self._recorder.store(groups, before_commit=checks)
        return [self.info(row, context.project) for row in rows]

    def rerun(self, request: GenerationRequest, *, project: str, likeness: Sequence[LikenessUse], actor: Actor,
              detail: dict[str, Any]) -> list[GeneratedImage]:
        """Draw a recorded request again without storing it (``reproduce``): gated like every generation (its
        input picture claims no one: a fitting photo's claim was checked when the frame was stored)."""
        pictures = [] if request.init_image is None else [Picture("input picture", request.init_image)]
        self._gate(request, project, likeness, actor, detail, pictures)
        return self._models.generate(request)

    def _gate(self, request: GenerationRequest, project: str, likeness: Sequence[LikenessUse], actor: Actor,
              detail: dict[str, Any], pictures: Sequence[Picture]) -> Clearance:
        """The gate on every text that reaches a text encoder, as each encoder receives it.

        The negative prompt is included: diffusers runs it through the same encoders (classifier-free guidance),
        so a name there conditions the model on the performer as much as one in the prompt. It is gated whenever
        it is given, even where this model's guidance would leave it out: a refusal should not depend on a
        sampler setting.
        """
        texts = list(self._models.encoder_texts(request.prompt))
        if request.negative_prompt:
            texts += [request.negative_prompt, *self._models.encoder_texts(request.negative_prompt)]
        return self._consent.clear(project, prompt=request.prompt, texts=texts, uses=likeness, pictures=pictures,
                                   actor=actor, detail=detail)

    def info(self, row: Frame, project: str, review: str = "pending") -> FrameInfo:
        """A stored frame row as front ends see it."""
        return FrameInfo(
            id=row.id, project=project, kind=row.kind, path=str(self._files.absolute(row.path)),
            sha256=row.sha256, file_sha256=row.file_sha256, seed=row.seed, model=row.model, width=row.width,
            height=row.height, created_by=row.created_by,
            created_at=row.created_at.isoformat(timespec="seconds"), status=row.status,
            record=FrameRecord.from_json(row.record), review=review, scene_id=row.scene_id, shot_id=row.shot_id,
        )


def _pictures(request: GenerationRequest, inputs: Sequence[InputImage],
              likeness: Sequence[LikenessUse]) -> list[Picture]:
    """The input picture the model is given (``init_image``: a fitting's performer photo or figure, a variation's
    parent frame) for the gate to search for faces; a mask shows no one. A performer photo claims the performer
    of the fitting's photo use: its faces must be theirs. A parent frame is searched again although it was gated
    when stored: a reference photo registered since may show whom it depicts."""
    if request.init_image is None:
        return []
    fed = next((item for item in inputs if item.feeds == "init_image"), None)
    if fed is None:
        return [Picture("input picture", request.init_image)]
    claimed = next((use.performer for use in likeness if use.use == PHOTO_USE), None)
    title = fed.title if fed.role == "parent_frame" else fed.role.replace("_", " ")
    return [Picture(title, request.init_image, claimed if fed.role == "performer_photo" else None)]
