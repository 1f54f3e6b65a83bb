"""``previs fit`` and ``previs figures``: virtual costume fittings from the terminal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from previs.app.requests import DEFAULT_PROJECT
from previs.cli.common import JSON_OPTION, print_json, state
from previs.fitting.figures import REGIONS, list_figures
from previs.fitting.request import FittingRequest, fitting_figure
from previs.media.uploads import load_image_upload, load_mask_upload


def fit(
    context: typer.Context,
    costume: Annotated[str, typer.Option(help="The garment, e.g. 'double-breasted greatcoat, brass buttons'.")],
    figure: Annotated[str, typer.Option(help=f"Built-in figure ({', '.join(list_figures())}) or a photo file "
                                             "of a performer (needs --performer and their consent).")] = "front",
    region: Annotated[str, typer.Option(help=f"{', '.join(REGIONS)}.")] = "full_body",
    mask: Annotated[Path | None, typer.Option(help="A mask image (white = paint) instead of --region.")] = None,
    performer: Annotated[str, typer.Option(help="Whose photo --figure is (consent: costume_fitting).")] = "",
    fabric: Annotated[str, typer.Option(help="e.g. 'wool melton'.")] = "",
    palette: Annotated[str, typer.Option(help="e.g. 'navy, brass'.")] = "",
    period: Annotated[str, typer.Option(help="e.g. '1810s'.")] = "",
    variants: Annotated[int, typer.Option(help="How many variants (1-8).")] = 4,
    seed: Annotated[int | None, typer.Option(help="Seed of the first variant (then +1, +2, ...).")] = None,
    paint_face_and_hands: Annotated[bool, typer.Option(
        "--paint-face-and-hands", help="Let the paint reach the face and hands (protected by default).")] = False,
    project: Annotated[str, typer.Option(help="Project the frames belong to.")] = DEFAULT_PROJECT,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Paint a costume onto a figure: N variants side by side on a fitting board."""
    photo = None if figure in list_figures() else load_image_upload(Path(figure), what="performer photo")
    request = FittingRequest(
        garment=costume, fabric=fabric, palette=palette, period=period, figure=None if photo else figure,
        photo=photo, performer=performer, region=None if mask else region, variants=variants, seed=seed,
        protect=not paint_face_and_hands,
    )
    if mask is not None:
        request = replace(request, mask=load_mask_upload(mask, size=fitting_figure(request).source_size))
    studio = state(context).studio
    result = studio.fittings.fit(request, project=project, actor=studio.local_actor)
    if as_json:
        print_json(result.to_json())
        return
    for number, frame in enumerate(result.variants, start=1):
        typer.echo(f"variant {number}: frame {frame.id}  seed {frame.seed}  {frame.path}")
    typer.echo(f"board: frame {result.board.id}  {result.board.path}")


def figures(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List the built-in mannequin figures and the regions a fitting can paint."""
    studio = state(context).studio
    listing = studio.fittings.figures(actor=studio.local_actor)
    if as_json:
        print_json([item.to_json() for item in listing])
        return
    for item in listing:
        typer.echo(f"{item.name:<14} {item.title:<30} {item.size[0]}x{item.size[1]}  "
                   f"regions: {', '.join(item.regions)}")
