"""``previs storyboard``: draw a scene's shots (resumable) and write the sheet as PDF and PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from previs.app.storyboards import DEFAULT_STYLE, ShotProgress, StoryboardBusy, StoryboardRequest
from previs.cli.common import JSON_OPTION, parse_size, print_json, state


def storyboard(
    context: typer.Context,
    project: Annotated[str, typer.Option(help="The project whose script was imported.")],
    scene: Annotated[list[str], typer.Option("--scene", help="Scene number (repeatable), e.g. --scene 12A.")],
    style: Annotated[str, typer.Option(help="Style preset for every shot.")] = DEFAULT_STYLE,
    seed: Annotated[int | None, typer.Option(help="Base seed shared by the shots (default: kept per scene).")] = None,
    steps: Annotated[int | None, typer.Option(help="Denoising steps (default: the model's).")] = None,
    size: Annotated[str | None, typer.Option(help="WIDTHxHEIGHT of each frame.")] = None,
    aspect: Annotated[str | None, typer.Option(help="Aspect ratio of this board's frames (2.39:1, 1.85:1, 16:9, "
                                                     "4:3, 1:1; default: the project's, see `previs aspect`).")] = None,
    columns: Annotated[int, typer.Option(help="Frames per row on the sheet (1-6).")] = 3,
    rows: Annotated[int | None, typer.Option(help="Rows of frames per page (default: fitted, 6+ a page).")] = None,
    page_size: Annotated[str, typer.Option("--page-size", help="A4 or Letter (landscape).")] = "A4",
    pdf: Annotated[Path | None, typer.Option(help="Write the sheet as a PDF here.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the sheet pages as PNG (NAME.png, NAME-2.png...).")] = None,
    wait: Annotated[bool, typer.Option(help="If another job is drawing a scene in this style, wait for it and "
                                            "keep its frames (--no-wait: stop with who and since when).")] = True,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Draw every shot of the scenes not drawn yet in this style, then lay out the sheet."""
    studio = state(context).studio
    width, height = parse_size(size)

    def report(step: ShotProgress) -> None:
        if not as_json:
            verb = "kept" if step.skipped else "drew"
            typer.echo(f"[{step.done}/{step.total}] shot {step.label}: {verb} frame {step.frame_id}", err=True)

    def waiting(busy: StoryboardBusy) -> None:  # on stderr even with --json: it says why nothing moves
        typer.echo(f"waiting: {busy.message}", err=True)

    result = studio.storyboards.build(StoryboardRequest(project, scene, style, seed, steps, width, height,
                                                                       aspect),
                                     progress=report, wait=wait, on_wait=waiting, actor=studio.local_actor)
    sheet = studio.storyboards.sheet(
        project, scene, columns=columns, rows=rows, page_size=page_size, style=style, actor=studio.local_actor
    )
    written = []
    if pdf is not None:
        pdf.write_bytes(sheet.pdf)
        written.append(str(pdf))
    if png is not None:
        for number, data in enumerate(sheet.png_pages(), start=1):
            target = png if number == 1 else png.with_name(f"{png.stem}-{number}{png.suffix or '.png'}")
            target.write_bytes(data)
            written.append(str(target))
    if as_json:
        print_json({**result.to_json(), "sheet_frame_ids": sheet.frame_ids, "pages": len(sheet.pages),
                    "missing": sheet.missing, "written": written})
        return
    typer.echo(f"{len(result.drawn)} shots drawn, {len(result.skipped)} already there; sheet: {len(sheet.pages)} "
               f"page(s){': ' + ', '.join(written) if written else ''}")


def aspect(
    context: typer.Context,
    project: Annotated[str, typer.Option(help="The project.")],
    ratio: Annotated[str | None, typer.Argument(help="Set it: 2.39:1, 1.85:1, 16:9, 4:3 or 1:1.")] = None,
) -> None:
    """Show or set the aspect ratio a project's storyboards are drawn in (`previs storyboard --aspect` overrides
    it for one board)."""
    studio = state(context).studio
    if ratio is None:
        typer.echo(studio.storyboards.aspect(project, actor=studio.local_actor))
        return
    chosen = studio.storyboards.set_aspect(project, ratio, actor=studio.local_actor)
    typer.echo(f"project {project}: storyboards drawn at {chosen}")
