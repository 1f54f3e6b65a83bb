"""Faces in the likeness gate: detection and descriptors at 512x512 and 1024x1024, matching at 10 and 1,000
registered reference faces (CPU; dlib).

    .venv/bin/python -m benchmarks.faces
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PIL import Image

from benchmarks.harness import Table, parse, parser, per_call, report
from previs.media.faces import DESCRIPTOR_SIZE, Gallery, find_faces


def _face_picture(size: int) -> Image.Image:
    """scikit-image's astronaut (one face, ~90 px at 512) scaled to ``size``, or a grey field without it."""
    try:
        import skimage.data
    except ImportError:  # the test extra has it; a bare install measures a face-free picture only
        return Image.new("RGB", (size, size), "grey")
    return Image.fromarray(skimage.data.astronaut()).resize((size, size), Image.Resampling.LANCZOS)


def main(argv: Sequence[str] | None = None) -> str:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--sizes", default="512,1024", help="comma-separated square picture sides")
    arguments.add_argument("--gallery", default="10,1000", help="comma-separated registered reference faces")
    parsed = parse(arguments, argv)
    sizes = [int(size) for size in parsed.sizes.split(",") if size]
    started = time.perf_counter()
    find_faces(Image.new("RGB", (64, 64)))
    first_use = time.perf_counter() - started
    pictures = Table(["picture", "faces found", "search (ms)", "of which descriptors (ms)"])
    one_face = None
    for size in sizes:
        blank = Image.effect_noise((size, size), 40).convert("RGB")
        face = _face_picture(size)
        detect = per_call(lambda blank=blank: find_faces(blank), parsed.runs, 1)
        found = find_faces(face)
        search = per_call(lambda face=face: find_faces(face), parsed.runs, 1)
        one_face = one_face or (found[0] if found else None)
        pictures.add(f"{size}x{size}, no face", 0, detect * 1e3, 0.0)
        pictures.add(f"{size}x{size}, astronaut", len(found), search * 1e3, max(0.0, search - detect) * 1e3)
    matching = Table(["registered reference faces", "match one face (µs)"])
    if one_face is not None:
        for count in (int(count) for count in parsed.gallery.split(",") if count):
            rows = np.random.default_rng(16).normal(0, 0.09, (count, DESCRIPTOR_SIZE)).astype(np.float32)
            gallery = Gallery(list(range(count)), list(rows))
            matching.add(count, per_call(lambda gallery=gallery: gallery.nearest(one_face), parsed.runs, 200) * 1e6)
    notes = [f"First use in a process: {first_use * 1e3:.0f} ms (dlib's three models, ~100 MB, read once).",
             "search: `previs.media.faces.find_faces` (HOG detector, upsampled once below 800 px a side, then the "
             "5-point shape and the ResNet descriptor per face); descriptors: the search less the face-free "
             "picture's. The noise picture of the same size is the detection alone.",
             "match: `Gallery.nearest`, one numpy distance over every registered descriptor.",
             "The gate searches an input picture only when some performer has a reference photo or the picture "
             "claims a performer (a fitting photo), and a generated image only when some performer has a "
             "reference photo; otherwise it adds one aggregate query (the photos' newest id and count)."]
    return report("faces", "Likeness gate: faces", [("", pictures), ("", matching)], notes, arguments=parsed)


if __name__ == "__main__":
    main()
