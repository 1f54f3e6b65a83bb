"""Running a fitting through the studio's core path: gate, inpainting, variants and their board, together.

A performer photo is a ``costume_fitting`` use of that performer's likeness: the consent gate checks it
before anything is generated, and the photo is only kept (in the inputs store, for ``reproduce``) once the
frames that used it are stored under the grant. The board is a frame of its own: composed from the variants,
signed with the figure and the variants as ingredients, under the same grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from previs.access.permissions import Action, Actor
from previs.app.recording import FrameContext, InputImage
from previs.consent.registry import PHOTO_USE, LikenessUse
from previs.fitting.board import compose_board
from previs.fitting.figures import region_mask
from previs.fitting.request import (
    FittingRequest,
    check_fitting_request,
    costume_details,
    costume_summary,
    fitting_figure,
)
from previs.generation.generator import GeneratedImage, GenerationRequest
from previs.media.imaging import encode_png
from previs.storage.projects import check_project_name

if TYPE_CHECKING:
    from previs.app.studio import FrameInfo, Studio

BOARD_KIND = "costume"


@dataclass(frozen=True)
class FittingResult:
    board: FrameInfo
    variants: list[FrameInfo]

    def to_json(self) -> dict[str, Any]:
        return {"board": self.board.to_json(), "variants": [variant.to_json() for variant in self.variants]}


def fit_costume(studio: Studio, request: FittingRequest, *, project: str, actor: Actor) -> FittingResult:
    """Paint the costume onto the figure ``request.variants`` times and store the variants and their board."""
    actor.require(Action.FIT_COSTUME)
    project = check_project_name(project)
    check_fitting_request(request)
    figure = fitting_figure(request)
    mask = region_mask(figure, request.region_name, protect=request.protect)
    count_tokens, token_limit = studio.generator.token_counter()
    rendered = studio.prompts.render("costume", costume=costume_details(request), count_tokens=count_tokens,
                                     token_limit=token_limit)
    photo = request.photo is not None
    subject = InputImage("performer_photo" if photo else "figure",
                         f"performer photo of {request.performer}" if photo else figure.title,
                         encode_png(figure.image), feeds="init_image")
    fitting = {"figure": figure.name, "region": request.region_name, "protected_face_and_hands": request.protect,
               "costume": costume_summary(request), "performer": request.performer or None}
    context = FrameContext(
        project=project, kind="costume", user=actor.name,
        inputs=[subject, InputImage("mask", f"{request.region_name} mask", encode_png(mask), feeds="mask_image",
                                    ingredient=False)],
        details={"fitting": fitting, "prompt_template": rendered.to_record()},
    )
    likeness = [LikenessUse(request.performer, PHOTO_USE, "performer photo for a costume fitting")] if photo else []

    def board(variants: list[GeneratedImage], used: FrameContext) -> list[tuple[list[GeneratedImage], FrameContext]]:
        picture = compose_board(
            figure.image, [(item.image, [f"Variant {index} · seed {item.seed}", costume_summary(request)])
                           for index, item in enumerate(variants, start=1)],
            title=f"Costume fitting — {costume_summary(request)}", figure_label=figure.title,
        )
        generation = {"mode": "composition", "model": variants[0].generation["model"], "seed": variants[0].seed,
                      "seeds": [item.seed for item in variants], "variants": len(variants)}
        pieces = [InputImage("variant", f"variant {index}", encode_png(item.image), ingredient=True)
                  for index, item in enumerate(variants, start=1)]
        board_context = FrameContext(
            project=project, kind=BOARD_KIND, user=actor.name, inputs=[subject, *pieces],
            details={"fitting": {**fitting, "board": True}, "composed": True},
        )
        return [([GeneratedImage(picture, variants[0].seed, generation)], board_context)]

    frames = studio.run_generation(
        GenerationRequest(prompt=rendered.prompt, negative_prompt=rendered.negative_prompt, seed=request.seed,
                          count=request.variants, mode="inpaint", init_image=figure.image, mask_image=mask,
                          strength=1.0),
        context, actor=actor, likeness=likeness, derived=board,
    )
    return FittingResult(board=frames[-1], variants=frames[:-1])


def figure_listing() -> list[dict[str, Any]]:
    """The built-in figures and the regions a fitting can paint on each."""
    from previs.fitting.figures import list_figures, load_figure

    return [{"name": name, "title": (figure := load_figure(name)).title, "size": list(figure.image.size),
             "regions": list(figure.regions)} for name in list_figures()]

