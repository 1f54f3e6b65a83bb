"""The fittings desk: a costume through the frame pipeline — gate, inpainting, variants and their board, together.

A performer photo is a ``costume_fitting`` use of that performer's likeness: the consent gate checks it
before anything is generated, and the photo is only kept (in the inputs store, for ``reproduce``) once the
frames that used it are stored under the grant. The board is a frame of its own: composed from the variants,
signed with the figure and the variants as ingredients, under the same grants.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from previs.access.permissions import Action, Actor
from previs.app.models import ModelDesk
from previs.app.pipeline import FramePipeline
from previs.app.recording import FrameContext, InputImage
from previs.app.requests import DEFAULT_PROJECT, FrameInfo
from previs.consent.likeness import PHOTO_USE, LikenessUse
from previs.fitting.board import compose_board
from previs.fitting.figures import list_figures, load_figure, region_mask
from previs.fitting.request import (
    FittingRequest,
    check_fitting_request,
    costume_details,
    costume_summary,
    fitting_figure,
)
from previs.generation.limits import GeneratedImage, GenerationRecord, GenerationRequest
from previs.media.imaging import encode_png
from previs.prompts import PromptLibrary
from previs.provenance.record import FittingRecord, FrameDetails
from previs.storage.projects import check_project_name

BOARD_KIND = "costume"


@dataclass(frozen=True)
class FittingResult:
    board: FrameInfo
    variants: list[FrameInfo]

    def to_json(self) -> dict[str, Any]:
        return {"board": self.board.to_json(), "variants": [variant.to_json() for variant in self.variants]}


@dataclass(frozen=True)
class FigureListing:
    """A built-in figure and the regions a fitting can paint on it."""

    name: str
    title: str
    size: tuple[int, int]
    regions: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "size": list(self.size), "regions": self.regions}


class FittingDesk:
    """Costume fittings for costume designers (and admins)."""

    def __init__(self, pipeline: FramePipeline, models: ModelDesk, prompts: PromptLibrary):
        self._pipeline = pipeline
        self._models = models
        self._prompts = prompts

    def fit(self, request: FittingRequest, *, project: str = DEFAULT_PROJECT, actor: Actor) -> FittingResult:
        """Paint the costume onto the figure ``request.variants`` times and store the variants and their board."""
        actor.require(Action.FIT_COSTUME)
        project = check_project_name(project)
        check_fitting_request(request)
        figure = fitting_figure(request)
        mask = region_mask(figure, request.region_name, protect=request.protect)
        count_tokens, token_limit = self._models.token_counter()
        rendered = self._prompts.render("costume", costume=costume_details(request), count_tokens=count_tokens,
                                        token_limit=token_limit)
        photo = request.photo is not None
        subject = InputImage("performer_photo" if photo else "figure",
                             f"performer photo of {request.performer}" if photo else figure.title,
                             encode_png(figure.image), feeds="init_image")
        fitting = FittingRecord(figure=figure.name, region=request.region_name,
                                protected_face_and_hands=request.protect, costume=costume_summary(request),
                                performer=request.performer or None)
        context = FrameContext(
            project=project, kind="costume", user=actor.name,
            inputs=[subject, InputImage("mask", f"{request.region_name} mask", encode_png(mask),
                                        feeds="mask_image", ingredient=False)],
            details=FrameDetails(fitting=fitting, prompt_template=rendered),
        )
        likeness = [LikenessUse(request.performer, PHOTO_USE, "performer photo for a costume fitting")] if photo else []

        def board(variants: list[GeneratedImage],
                  used: FrameContext) -> list[tuple[list[GeneratedImage], FrameContext]]:
            picture = compose_board(
                figure.image, [(item.image, [f"Variant {index} · seed {item.seed}", costume_summary(request)])
                               for index, item in enumerate(variants, start=1)],
                title=f"Costume fitting — {costume_summary(request)}", figure_label=figure.title,
            )
            generation = GenerationRecord(mode="composition", model=variants[0].generation.model,
                                          seed=variants[0].seed, seeds=tuple(item.seed for item in variants),
                                          variants=len(variants))
            # the variants' signed files as stored (manifests and all): the record names their file digests
            pieces = [InputImage.stored_frame("variant", f"variant {index}", index - 1)
                      for index in range(1, len(variants) + 1)]
            board_context = FrameContext(
                project=project, kind=BOARD_KIND, user=actor.name, inputs=[subject, *pieces],
                details=FrameDetails(fitting=replace(fitting, board=True), composed=True),
            )
            return [([GeneratedImage(picture, variants[0].seed, generation)], board_context)]

        frames = self._pipeline.run(
            GenerationRequest(prompt=rendered.prompt, negative_prompt=rendered.negative_prompt, seed=request.seed,
                              count=request.variants, mode="inpaint", init_image=figure.image, mask_image=mask,
                              strength=1.0),
            context, actor=actor, likeness=likeness, derived=board,
        )
        return FittingResult(board=frames[-1], variants=frames[:-1])

    def figures(self, *, actor: Actor) -> list[FigureListing]:
        """The built-in figures and the regions a fitting can paint on each."""
        actor.require(Action.VIEW)
        return [FigureListing(name, (figure := load_figure(name)).title, figure.image.size, list(figure.regions))
                for name in list_figures()]
