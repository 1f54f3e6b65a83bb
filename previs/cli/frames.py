"""Commands that make and list frames: generate, frames, models."""

from __future__ import annotations

from typing import Annotated

import typer

from previs.app.requests import DEFAULT_PROJECT, FrameRequest
from previs.cli.common import JSON_OPTION, parse_size, print_json, state


def generate(
    context: typer.Context,
    prompt: Annotated[str, typer.Option("--prompt", "-p", help="What the frame shows (or describes the scene).")] = "",
    negative: Annotated[str, typer.Option("--negative", help="What the frame must not show.")] = "",
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible frames; drawn at random if omitted.")] = None,
    steps: Annotated[int | None, typer.Option(help="Denoising steps (default: the model's).")] = None,
    guidance: Annotated[float | None, typer.Option(help="Classifier-free guidance scale.")] = None,
    size: Annotated[str | None, typer.Option(help="WIDTHxHEIGHT, multiples of 8, e.g. 768x512.")] = None,
    count: Annotated[int, typer.Option(help="Number of frames (1-8).")] = 1,
    scheduler: Annotated[str, typer.Option(help="default, ddim, euler, euler_a, dpmpp_2m or unipc.")] = "default",
    project: Annotated[str, typer.Option(help="Project the frames belong to.")] = DEFAULT_PROJECT,
    scene: Annotated[str | None, typer.Option(help="A stored scene of --project (see `scenes`).")] = None,
    kind: Annotated[str, typer.Option(help="set, costume or storyboard: which department's template.")] = "set",
    style: Annotated[str | None, typer.Option(help="Style preset, e.g. concept_art, pencil_storyboard.")] = None,
    shot: Annotated[int | None, typer.Option(help="Storyboard: the shot of the scene (default 1).")] = None,
    costume: Annotated[str, typer.Option(help="Costume frames: the garment, fabric and period.")] = "",
    model: Annotated[str | None, typer.Option(help="Preset, hub id, folder or previs-tiny (as `previs --model`; "
                                                   "env: PREVIS_MODEL).")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Generate concept frames from a prompt or a stored scene and store them with their record."""
    width, height = parse_size(size)
    cli = state(context)
    cli.use_model(model)
    frames = cli.studio.frames.generate(FrameRequest(
        prompt=prompt, negative_prompt=negative, seed=seed, steps=steps, guidance=guidance, width=width,
        height=height, scheduler=scheduler, count=count, project=project, scene=scene, kind=kind, style=style,
        shot=shot, costume=costume,
    ), actor=cli.studio.local_actor)
    if frames:
        details = frames[0].record.details
        template = details.prompt_template
        for note in (template.summary if template else None, details.prompt_fit):
            if note:
                typer.echo(f"note: {note}", err=True)
    if as_json:
        print_json([frame.to_json() for frame in frames])
        return
    for frame in frames:
        typer.echo(f"frame {frame.id}  seed {frame.seed}  {frame.path}")
    if frames and frames[0].record.generation.model.placeholder:
        typer.echo("note: previs-tiny frames are placeholders; set PREVIS_MODEL for real pictures", err=True)


def frames(
    context: typer.Context,
    project: Annotated[str | None, typer.Option(help="Only frames of this project.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """List stored frames, newest first."""
    listed = state(context).studio.frames.list(project=project, limit=limit, actor=state(context).studio.local_actor)
    if as_json:
        print_json([frame.to_json() for frame in listed])
        return
    if not listed:
        typer.echo("no frames yet: make some with `previs generate --prompt ...`")
    for frame in listed:
        typer.echo(f"{frame.id:>6}  {frame.created_at}  {frame.project:<16}  {frame.kind:<10}  seed {frame.seed:<10}"
                   f"  {frame.model:<14}  {frame.path}")


def models(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List model presets, whether each can be used offline, and which one is configured."""
    listings = state(context).studio.models.listing()
    if as_json:
        print_json([listing.to_json() for listing in listings])
        return
    for item in listings:
        mark = "*" if item.current else " "
        where = "available" if item.available_offline else "not downloaded"
        typer.echo(f"{mark} {item.name:<13} {item.source:<45} {item.size:>9}  {item.steps:>2} steps  "
                   f"cfg {item.guidance:<4g} {where:<15} {item.licence}")


def styles(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """List the style presets prompts can be rendered in."""
    presets = state(context).studio.prompts.styles
    if as_json:
        print_json([{"id": style.id, "name": style.name, "prompt": style.prompt} for style in presets])
        return
    for style in presets:
        typer.echo(f"{style.id:<20} {style.name:<20} {style.prompt}")
