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
from previs.app.recording import FrameContext, FrameRecorder
from previs.app.requests import FrameInfo
from previs.consent.likeness import Clearance, LikenessUse
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
        caller can skip it. ``derived`` makes further frames from the
        generated ones (a fitting board), stored in the same transaction and under the same grants.
        ``before_commit`` is the caller's own check inside that transaction (a storyboard shot not drawn
        meanwhile); raising there stores nothing.
        """
        self._recorder.database.require_writable()  # a read-only snapshot: say so before the model draws
        # 1. The consent gate, before the model draws
        clearance = self._gate(request, context.project, likeness, actor,
                               {"kind": context.kind, "prompt": request.prompt[:300]})
        grant_ids = clearance.grant_ids
        # 2. Generate
        images = self._models.generate(request)
        # 3. Record, sign and store together, re-checking that no grant ended meanwhile
        uses = tuple(clearance.uses)
        context = replace(context, grant_ids=grant_ids, details=replace(context.details, likeness_uses=uses))
        groups = [(images, context)]
        if derived is not None:
            groups += [(more, replace(more_context, grant_ids=grant_ids,
                                      details=replace(more_context.details, likeness_uses=uses)))
                       for more, more_context in derived(images, context)]

        def checks(work: UnitOfWork) -> None:
            self._consent.still_active(work, grant_ids)
            if before_commit is not None:
                before_commit(work)

        rows = self._recorder.store(groups, before_commit=checks)
        return [self.info(row, context.project) for row in rows]

    def rerun(self, request: GenerationRequest, *, project: str, likeness: Sequence[LikenessUse], actor: Actor,
              detail: dict[str, Any]) -> list[GeneratedImage]:
        """Draw a recorded request again without storing it (``reproduce``): gated like every generation."""
        self._gate(request, project, likeness, actor, detail)
        return self._models.generate(request)

    def _gate(self, request: GenerationRequest, project: str, likeness: Sequence[LikenessUse], actor: Actor,
              detail: dict[str, Any]) -> Clearance:
        """The gate on every text that reaches a text encoder, as each encoder receives it.

        The negative prompt is included: diffusers runs it through the same encoders (classifier-free guidance),
        so a name there conditions the model on the performer as much as one in the prompt. It is gated whenever
        it is given, even where this model's guidance would leave it out: a refusal should not depend on a
        sampler setting.
        """
        texts = list(self._models.encoder_texts(request.prompt))
        if request.negative_prompt:
            texts += [request.negative_prompt, *self._models.encoder_texts(request.negative_prompt)]
        return self._consent.clear(project, prompt=request.prompt, texts=texts, uses=likeness, actor=actor,
                                   detail=detail)

    def info(self, row: Frame, project: str, review: str = "pending") -> FrameInfo:
        """A stored frame row as front ends see it."""
        return FrameInfo(
            id=row.id, project=project, kind=row.kind, path=str(self._files.absolute(row.path)),
            sha256=row.sha256, file_sha256=row.file_sha256, seed=row.seed, model=row.model, width=row.width,
            height=row.height, created_by=row.created_by,
            created_at=row.created_at.isoformat(timespec="seconds"), status=row.status,
            record=FrameRecord.from_json(row.record), review=review, scene_id=row.scene_id, shot_id=row.shot_id,
        )
