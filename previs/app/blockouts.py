"""A storyboard shot's blockout, and the generation request it steers: ControlNet (depth) where the model has
one, else image-to-image from the blockout. Its pictures are kept as inputs and named as ingredients."""

from __future__ import annotations

from dataclasses import replace

from previs.app.recording import InputImage
from previs.blocking.layout import plan_shot
from previs.blocking.render import render
from previs.generation.limits import GenerationRequest, ratio_of
from previs.media.imaging import encode_png
from previs.provenance.record import BlockoutRecord
from previs.scenes.model import Scene, Shot

CONTROL_SCALE = 0.8  # the depth ControlNet's conditioning scale: the layout holds, the model still draws
FALLBACK_STRENGTH = 0.85  # image-to-image from the blockout: keeps its composition, repaints its surfaces
BLOCKOUT_ROLE = "blockout"


def steer(request: GenerationRequest, scene: Scene, shot: Shot, label: str, *,
          controlnet: bool) -> tuple[GenerationRequest, list[InputImage], BlockoutRecord]:
    """``request`` (already sized) steered by the shot's blockout, the inputs to keep and what the record says."""
    if request.width is None or request.height is None:
        raise ValueError("a steered request is sized first")
    kept = ratio_of(request.aspect) if request.aspect is not None else None
    blockout = render(plan_shot(scene, shot, request.width, request.height, kept=kept))
    camera = blockout.plan.camera
    picture = InputImage(BLOCKOUT_ROLE, f"blockout of shot {label}", encode_png(blockout.rgb),
                         feeds=None if controlnet else "init_image")
    inputs = [picture]
    if controlnet:
        inputs.append(InputImage("blockout_depth", f"blockout depth of shot {label}", encode_png(blockout.depth),
                                 feeds="control_image"))
        steered = replace(request, control_image=blockout.depth, control_scale=CONTROL_SCALE, width=None,
                          height=None)
    else:
        steered = replace(request, mode="image-to-image", init_image=blockout.rgb, strength=FALLBACK_STRENGTH,
                          width=None, height=None)
    record = BlockoutRecord(
        method="controlnet" if controlnet else "image-to-image", lens_mm=shot.lens_mm,
        sensor_mm=(camera.sensor.width_mm, camera.sensor.height_mm), camera_height_m=round(camera.position[1], 3),
        distance_m=round(-camera.position[2], 3), tilt_deg=round(camera.tilt_deg, 2), roll_deg=camera.roll_deg,
        figures=tuple(figure.name for figure in blockout.plan.figures), interior=blockout.plan.interior,
        light=blockout.plan.time)
    return steered, inputs, record
