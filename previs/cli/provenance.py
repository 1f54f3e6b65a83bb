"""``previs verify``, ``previs ledger verify``, ``previs reproduce`` and ``previs export``."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from previs.cli.common import JSON_OPTION, print_json, read_user_file, state
from previs.errors import InvalidRequest

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


@ledger_app.command("checkpoint")
def checkpoint(
    context: typer.Context,
    out: Annotated[Path | None, typer.Option(help="File to write the signed checkpoint to (else printed).")] = None,
) -> None:
    """Print (or write) the studio's signed checkpoint of the ledger, for anyone to keep outside the studio."""
    note = state(context).studio.provenance.checkpoint(actor=state(context).studio.local_actor)
    if out is None:
        typer.echo(note, nl=False)
        return
    _require_folder(out.parent, "--out")
    out.write_text(note)
    typer.echo(str(out))


@ledger_app.command("verify")
def verify_ledger(
    context: typer.Context,
    kept: Annotated[Path | None, typer.Option("--checkpoint", help="A checkpoint kept outside the studio: prove "
                                              "with a consistency proof that today's ledger extends it.")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Walk the hash chain and the Merkle log; report the first changed, deleted or inserted entry. Exit 0 when
    intact (and, with --checkpoint, when the log extends that checkpoint)."""
    studio = state(context).studio
    extension = None
    if kept is not None:
        note = read_user_file(kept, "--checkpoint").decode(errors="replace")
        extension = studio.provenance.extends_checkpoint(note, actor=studio.local_actor)
    report = studio.provenance.verify_ledger(actor=studio.local_actor)
    ok = report.ok and (extension is None or extension.ok)
    if as_json:
        extra = {} if extension is None else {"ok": ok, "checkpoint": asdict(extension)}
        print_json({**report.to_json(), **extra})
        raise typer.Exit(0 if ok else 1)
    if extension is not None:
        typer.echo(("checkpoint: consistent: " if extension.ok else "checkpoint: NOT consistent: ")
                   + extension.detail)
    if report.ok:
        checked = "" if report.integrity is None else "; database integrity check ok"
        typer.echo(f"ledger intact: {report.checked} entries{checked}")
    else:
        for problem in report.problems:
            typer.echo(f"entry {problem.sequence}: {problem.kind}: {problem.detail}")
        for damage in report.integrity or ():
            typer.echo(f"database damaged: {damage}: restore the database file from a backup")
    raise typer.Exit(0 if ok else 1)


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
    _require_folder(out, "--out")  # before export: a JPEG export enters the ledger
    exported = state(context).studio.provenance.export(frame_id, image_format=image_format.lower(),
                                                       actor=state(context).studio.local_actor)
    target = out / exported.filename
    target.write_bytes(exported.data)
    if as_json:
        print_json({"frame_id": frame_id, "path": str(target), "mime_type": exported.mime_type})
    else:
        typer.echo(str(target))


def _require_folder(folder: Path, option: str) -> None:
    if not folder.is_dir():
        raise InvalidRequest(f"the folder {folder} does not exist; create it or choose another {option}")
    if not os.access(folder, os.W_OK):
        raise InvalidRequest(f"the folder {folder} is not writable; choose another {option}")
