"""A drawing canvas for masks whose pictures are checked before Gradio decodes them.

``gr.ImageEditor`` opens every picture it receives (background, paint layers, composite) with Pillow while
preprocessing, before any event handler runs, so an API caller could hand it a decompression bomb. The canvas
made here refuses such a picture by its type, byte size and declared dimensions first (``check_image_file``),
with the message an upload gets. It wraps the one editor's method rather than subclassing ImageEditor: Gradio
writes a ``.pyi`` stub beside the module of every component subclass when it is defined.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from previs.errors import UploadRejected
from previs.media.uploads import check_image_file

PAINT = "#e11d48"  # any colour paints: a paint layer is read by its alpha (previs.media.uploads.load_drawn_mask)
WHAT = "drawn mask"  # how messages name the canvas's pictures, as load_drawn_mask names its layers


def mask_canvas(**options: Any) -> gr.ImageEditor:
    """A picture to paint a mask over: one layer, one brush, no crop or resize (the mask must keep the
    picture's size) and no upload (the program sets the picture). Handlers get file paths."""
    canvas = gr.ImageEditor(type="filepath", image_mode="RGBA", format="png", sources=(), transforms=(),
                            layers=False, brush=gr.Brush(colors=[PAINT], color_mode="fixed"), eraser=gr.Eraser(),
                            **options)
    decode = canvas.convert_and_format_image

    def checked_then_decoded(file: FileData | bytes | None, flatten_on_white: bool = False) -> Any:
        if file is not None:
            try:
                check_image_file(Path(file.path) if isinstance(file, FileData) else bytes(file), what=WHAT)
            except UploadRejected as error:
                raise gr.Error(html.escape(str(error), quote=False), print_exception=False) from None
        return decode(file, flatten_on_white)

    canvas.convert_and_format_image = checked_then_decoded  # type: ignore[method-assign]
    return canvas
