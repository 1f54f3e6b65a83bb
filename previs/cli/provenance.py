"""``previs verify``, ``previs ledger verify``, ``previs reproduce`` and ``previs export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from previs.cli.common import JSON_OPTION, print_json, read_user_file, state

ledger_app = typer.Typer(help="The tamper-evident ledger of every frame.", no_args_is_help=True)


def verify(
    context: typer.Context,
    file: Annotated[Path, typer.Argument(help="A PNG, JPEG or WebP image from anywhere.")],
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Check an image's Content Credentials and the ledger. Exit 0 only when it is verified."""
    studio = state(context).studio
    result = studio.provenance.verify_upload(read_user_file(file, "FILE"), actor=studio.local_actor)
    if as_json:
        print_json(result.to_json())
    else:
        typer.echo(f"{result.status}: {result.summary}")
        record = result.frame_record
        if record is not None:
            grants = ", ".join(map(str, record.consent_grants)) or "none needed"
            typer.echo(f"  made by {record.created_by} at {record.created_at} with {record.generation.model.name} "
                       f"seed {record.generation.seed}; consent grants: {grants}")
    raise typer.Exit(0 if result.status == "verified" else 1)


@ledger_app.command("verify")
def verify_ledger(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Walk the hash chain; report the first changed, deleted or inserted entry. Exit 0 when intact."""
    report = state(context).studio.provenance.verify_ledger(actor=state(context).studio.local_actor)
    if as_json:
        print_json(report.to_json())
    elif report.ok:
        checked = "" if report.integrity is None else "; database integrity check ok"
        typer.echo(f"ledger intact: {report.checked} entries{checked}")
    else:
        for problem in report.problems:
            typer.echo(f"entry {problem.sequence}: {problem.kind}: {problem.detail}")
        for damage in report.integrity or ():
            typer.echo(f"database damaged: {damage}: restore the database file from a backup")
    raise typer.Exit(0 if report.ok else 1)


def reproduce(
    context: typer.Context,
    frame_id: Annotated[int, typer.Argument(help="The frame to re-run.")],
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Re-run a frame's recorded request and compare pixels. Exit 0 when identical."""
    result = state(context).studio.frames.reproduce(frame_id, actor=state(context).studio.local_actor)
    if as_json:
        print_json(result.to_json())
    else:
        verdict = "identical pixels" if result.identical else "DIFFERENT pixels"
        typer.echo(f"frame {frame_id}: {verdict} ({result.model} on {result.device}); recorded "
                   f"{result.recorded_sha256[:16]}…, reproduced {result.reproduced_sha256[:16]}…")
    raise typer.Exit(0 if result.identical else 1)


def export(
    context: typer.Context,
    frame_id: Annotated[int, typer.Argument(help="The frame to export.")],
    out: Annotated[Path, typer.Option(help="Folder to write into (the file name is previs's).")] = Path("."),
    image_format: Annotated[str, typer.Option("--format", help="png (as stored) or jpeg (signed too).")] = "png",
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Write a frame with its Content Credentials (PNG as stored, or a signed JPEG)."""
    exported = state(context).studio.provenance.export(frame_id, image_format=image_format.lower(),
                                                       actor=state(context).studio.local_actor)
    target = out / exported.filename
    target.write_bytes(exported.data)
    if as_json:
        print_json({"frame_id": frame_id, "path": str(target), "mime_type": exported.mime_type})
    else:
        typer.echo(str(target))
