"""``previs review``: a producer's decision on a frame, or the queue of frames waiting for one."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from previs.app.reviews import PAGE, STATUSES
from previs.cli.common import JSON_OPTION, print_json, state
from previs.errors import InvalidRequest


def review(
    context: typer.Context,
    frame_id: Annotated[int | None, typer.Argument(help="The frame to review.")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of: {', '.join(STATUSES)}.")] = None,
    comment: Annotated[str, typer.Option(help="What should change, or a note (kept in the history).")] = "",
    pending: Annotated[bool, typer.Option("--pending", help="List frames waiting for review instead.")] = False,
    project: Annotated[str | None, typer.Option(help="With --pending: only this project.")] = None,
    after: Annotated[int, typer.Option("--after", metavar="ID",
                                       help="With --pending: the page after this frame id (0: the oldest).")] = 0,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="With --pending: frames per page.")] = PAGE,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Approve, request changes, reject or comment on a frame; or list the frames pending review, a page at a time."""
    studio = state(context).studio
    actor = studio.local_actor
    if pending:
        frames = studio.frames.pending(project=project, after=after, limit=limit, actor=actor)
        waiting = studio.reviews.waiting(project=project, actor=actor)
        next_after = frames[-1].id if frames else None
        if as_json:
            print_json({"waiting": waiting, "next_after": next_after, "frames": [
                {"id": f.id, "project": f.project, "kind": f.kind, "path": f.path, "review": f.review,
                 "created_at": f.created_at} for f in frames]})
            return
        for frame in frames:
            typer.echo(f"{frame.id:>6}  {frame.project:<16} {frame.kind:<13} {frame.created_at}  {frame.path}")
        if not waiting:
            typer.echo("nothing is waiting for review")
        elif next_after is None:
            typer.echo(f"{waiting} waiting for review, none after frame {after}")
        elif len(frames) < limit:
            typer.echo(f"{len(frames)} shown of {waiting} waiting for review (the last page)")
        else:
            more = [*(["--project", project] if project else []), "--after", str(next_after),
                    *(["--limit", str(limit)] if limit != PAGE else [])]
            typer.echo(f"{len(frames)} shown of {waiting} waiting for review; the next page: "
                       f"previs review --pending {shlex.join(more)}")
        return
    if frame_id is None or status is None:
        raise InvalidRequest("give a FRAME_ID and --status (or --pending to list the queue)")
    decision = studio.reviews.review(frame_id, status, comment=comment, actor=actor)
    history = studio.reviews.history(frame_id, actor=actor)
    if as_json:
        print_json({"review": decision.to_json(), "history": [item.to_json() for item in history]})
    else:
        typer.echo(f"frame {frame_id}: {decision.status} by {decision.author}"
                   + (f": {decision.comment}" if decision.comment else ""))
