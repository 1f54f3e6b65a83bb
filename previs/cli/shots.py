"""``previs shot edit|add|remove|move`` (a scene's shots and their camera blocks) and ``previs shotlist``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from previs.app.scenes import SceneInfo
from previs.cli.common import JSON_OPTION, print_json, state
from previs.errors import InvalidRequest

shot_app = typer.Typer(help="Edit a scene's shots: camera block (size, angle, lens, movement), text, order.",
                       no_args_is_help=True)

PROJECT = typer.Option(help="The project.")
SCENE = typer.Option("--scene", help="The scene number, e.g. 12A.")
SHOT = typer.Option("--shot", help="The shot's position in the scene, from 1.")
SIZE = typer.Option(help="Shot size, e.g. 'close-up' (see previs.SHOT_SIZES).")
ANGLE = typer.Option(help="Camera angle, e.g. 'low angle'.")
LENS = typer.Option("--lens", help="Focal length in mm (default: the size's usual lens).")
MOVEMENT = typer.Option(help="Camera movement, e.g. 'dolly in'.")
DESCRIPTION = typer.Option(help="What the shot shows.")
DIALOGUE = typer.Option(help="What is said over the shot.")
CHARACTERS = typer.Option(help="Characters in frame, comma-separated: \"MAYA,DEX\" ('' for none).")


def _names(characters: str | None) -> list[str] | None:
    return None if characters is None else [name.strip() for name in characters.split(",") if name.strip()]


def _done(scene: SceneInfo, as_json: bool) -> None:
    if as_json:
        print_json(scene.to_json())
        return
    for shot in scene.shots:
        who = f"  [{', '.join(shot.characters)}]" if shot.characters else ""
        mark = " (edited)" if shot.edited else ""
        typer.echo(f"{scene.number}.{shot.order:<3} {shot.camera}{mark}  {shot.description}{who}")


@shot_app.command()
def edit(context: typer.Context, project: Annotated[str, PROJECT], scene: Annotated[str, SCENE],
         shot: Annotated[int, SHOT], size: Annotated[str | None, SIZE] = None,
         angle: Annotated[str | None, ANGLE] = None, lens: Annotated[int | None, LENS] = None,
         movement: Annotated[str | None, MOVEMENT] = None, description: Annotated[str | None, DESCRIPTION] = None,
         dialogue: Annotated[str | None, DIALOGUE] = None, characters: Annotated[str | None, CHARACTERS] = None,
         as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Change a shot's camera block or text; the shot is marked edited and kept when the script is re-imported."""
    studio = state(context).studio
    _done(studio.scenes.edit_shot(project, scene, shot, size=size, angle=angle, lens_mm=lens, movement=movement,
                                  description=description, dialogue=dialogue, characters=_names(characters),
                                  actor=studio.local_actor), as_json)


@shot_app.command()
def add(context: typer.Context, project: Annotated[str, PROJECT], scene: Annotated[str, SCENE],
        description: Annotated[str, DESCRIPTION], size: Annotated[str, SIZE] = "medium",
        angle: Annotated[str, ANGLE] = "eye level", lens: Annotated[int, LENS] = 0,
        movement: Annotated[str, MOVEMENT] = "static", dialogue: Annotated[str, DIALOGUE] = "",
        characters: Annotated[str, CHARACTERS] = "",
        at: Annotated[int | None, typer.Option(help="Position for the new shot (default: last).")] = None,
        as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Add a shot to a scene."""
    studio = state(context).studio
    _done(studio.scenes.add_shot(project, scene, description=description, size=size, angle=angle, lens_mm=lens,
                                 movement=movement, dialogue=dialogue, characters=_names(characters) or [],
                                 at=at, actor=studio.local_actor), as_json)


@shot_app.command()
def remove(context: typer.Context, project: Annotated[str, PROJECT], scene: Annotated[str, SCENE],
           shot: Annotated[int, SHOT], as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Remove a shot; its frames stay in the project."""
    studio = state(context).studio
    _done(studio.scenes.remove_shot(project, scene, shot, actor=studio.local_actor), as_json)


@shot_app.command()
def move(context: typer.Context, project: Annotated[str, PROJECT], scene: Annotated[str, SCENE],
         shot: Annotated[int, SHOT], to: Annotated[int, typer.Option("--to", help="Its new position.")],
         as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Move a shot to another position; every shot keeps its frames."""
    studio = state(context).studio
    _done(studio.scenes.move_shot(project, scene, shot, to, actor=studio.local_actor), as_json)


def shotlist(context: typer.Context, project: Annotated[str, PROJECT],
             scene: Annotated[str | None, typer.Option("--scene", help="Only this scene.")] = None,
             csv: Annotated[Path | None, typer.Option("--csv", help="Write the list as CSV here.")] = None,
             pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the list as an A4 PDF here.")] = None,
             ) -> None:
    """Write the shot list (scene, shot, camera block, text, characters, review status, frame id)."""
    if (csv is None) == (pdf is None):
        raise InvalidRequest("give one of --csv FILE or --pdf FILE")
    studio = state(context).studio
    listed = studio.storyboards.shot_list(project, scene, actor=studio.local_actor)
    if csv is not None:
        target, data = csv, listed.csv()
    elif pdf is not None:
        target, data = pdf, listed.pdf()
    try:
        target.write_bytes(data)
    except OSError as error:
        raise InvalidRequest(f"cannot write {target}: {error.strerror or error}") from error
    typer.echo(f"{len(listed.rows)} shots written to {target}")
