"""``previs import-script`` and ``previs scenes``: a project's screenplay as scenes and shots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from previs.app.scenes import SceneInfo
from previs.cli.common import JSON_OPTION, print_json, state
from previs.errors import InvalidRequest


def _show(scene: SceneInfo, *, shots: bool) -> None:
    who = f"  [{', '.join(scene.characters)}]" if scene.characters else ""
    typer.echo(f"scene {scene.number:<5} {scene.heading}{who}")
    if shots:
        for shot in scene.shots:
            typer.echo(f"    {scene.number}.{shot.order:<3} {shot.camera:<50} {shot.description}")


def import_script(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(help="A Fountain screenplay (.fountain, plain UTF-8 text).")],
    project: Annotated[str, typer.Option(help="The project the scenes belong to.")],
    max_shots: Annotated[int | None, typer.Option(help="Most shots a scene's breakdown proposes.")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Import a screenplay: scenes (updated by number on re-import) and a default shot list for each."""
    try:
        with file.open("rb") as stream:  # the importer checks the size before reading it all
            studio = state(context).studio
            report = studio.scenes.import_script(stream, project=project, actor=studio.local_actor,
                                                 max_shots=max_shots)
    except OSError as error:
        raise InvalidRequest(f"cannot read {file}: {error.strerror or error}") from error
    if as_json:
        print_json(report.to_json())
        return
    title = f" “{report.title}”" if report.title else ""
    typer.echo(f"{len(report.scenes)} scenes{title} in project {report.project}: {len(report.created)} new, "
               f"{len(report.updated)} updated")
    for scene in report.scenes:
        _show(scene, shots=False)
    for warning in report.warnings:
        typer.echo(f"note: {warning}", err=True)
    if report.not_in_script:
        typer.echo(f"note: stored scenes not in this script (kept): {', '.join(report.not_in_script)}", err=True)
    typer.echo("note: only explicit scene numbers (#12A#) are stable when scenes are inserted later", err=True)


def scenes(
    context: typer.Context,
    project: Annotated[str, typer.Option(help="The project.")],
    number: Annotated[str | None, typer.Option("--scene", help="Only this scene.")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """List a project's scenes and their shots."""
    studio = state(context).studio
    found = ([studio.scenes.scene(project, number, actor=studio.local_actor)] if number
             else studio.scenes.scenes(project, actor=studio.local_actor))
    if as_json:
        print_json([scene.to_json() for scene in found])
        return
    for scene in found:
        _show(scene, shots=True)

