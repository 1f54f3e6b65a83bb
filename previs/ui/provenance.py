"""The Provenance tab: drop any image to learn whether this studio made it, unaltered; check the ledger's chain.

The image arrives through ``gr.File``, not ``gr.Image``: an image widget may convert the upload, and the
credentials and record live in the file's bytes. The file Gradio hands over is its own temporary copy (the
name the user gave it never becomes a path here), and the facade checks it like every upload first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.errors import InvalidRequest
from previs.ui.context import UiContext

# What a status means, in the words shown above the studio's one-line summary.
VERDICTS = {
    "verified": "verified: made by this studio and unaltered",
    "foreign_signer": "foreign_signer: signed, but not by a signer this studio trusts",
    "altered": "altered: changed after it was signed",
    "stripped_known": "stripped_known: a studio frame whose credentials were removed",
    "derived_known": "derived_known: not the studio's file, but a copy (re-encoded, resized, cropped) of a frame",
    "unknown": "unknown: nothing links this image to the studio",
}

Report = tuple[str, dict[str, Any]]


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the provenance desk (verify_upload, verify_ledger)."""
    studio = ui.studio

    def verify_image(actor: Actor, image: str | None) -> Report:
        """Judge an uploaded image by its Content Credentials and the ledger; the report holds its record."""
        if not image:
            raise InvalidRequest("no image to verify: drop a PNG, JPEG or WebP file on the box")
        verification = studio.provenance.verify_upload(Path(image), actor=actor)
        return f"{VERDICTS[verification.status]}\n\n{verification.summary}", verification.to_json()

    def verify_ledger(actor: Actor) -> Report:
        """Walk the ledger's hash chain; name the first changed, deleted or inserted entry."""
        report = studio.provenance.verify_ledger(actor=actor)
        if report.ok:
            return f"ledger intact: {report.checked} entries checked", report.to_json()
        if not report.problems:  # the chain holds but the database file failed its integrity check
            return (f"database damaged: {'; '.join(report.integrity or ())}: restore it from a backup",
                    report.to_json())
        first = report.problems[0]
        return (f"ledger broken: {len(report.problems)} problem(s), first at entry {first.sequence} "
                f"({first.kind}: {first.detail})", report.to_json())

    gr.Markdown("Drop any image (PNG, JPEG or WebP) to check its Content Credentials and the studio's ledger.")
    with gr.Row():
        with gr.Column():
            image = gr.File(label="Image to verify", type="filepath", elem_id="provenance-file")
            verdict = gr.Textbox(label="Verdict", lines=3, interactive=False, elem_id="provenance-status")
            report = gr.JSON(label="Verification report", elem_id="provenance-report")
        with gr.Column():
            ledger_button = gr.Button("Check the ledger", elem_id="provenance-ledger")
            ledger_verdict = gr.Textbox(label="Ledger", interactive=False, elem_id="provenance-ledger-status")
            ledger_report = gr.JSON(label="Ledger report", elem_id="provenance-ledger-report")

    image.upload(ui.handler(verify_image), [image], [verdict, report], api_name="verify_image")
    ledger_button.click(ui.handler(verify_ledger), None, [ledger_verdict, ledger_report], api_name="verify_ledger")
