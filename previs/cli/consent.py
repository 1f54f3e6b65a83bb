"""``previs consent ...``: performers, grants, revocations and the audit trail, as the studio's admin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from previs.cli.common import JSON_OPTION, print_json, read_user_file, state
from previs.consent.likeness import USES
from previs.consent.registry import parse_date

consent_app = typer.Typer(help="Performers' consent: register, grant, revoke, list, audit.", no_args_is_help=True)


@consent_app.command("add-performer")
def add_performer(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="The performer's name as it may appear in prompts.")],
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name (repeatable).")] = None,
    identifying: Annotated[list[str] | None, typer.Option(
        "--identifying", help="A word that names them alone: a stage name, a nickname (repeatable).")] = None,
    contact: Annotated[str, typer.Option(help="How to reach the performer.")] = "",
    agent: Annotated[str, typer.Option(help="The performer's agent or union representative.")] = "",
    photo: Annotated[list[Path] | None, typer.Option(
        "--photo", help="A reference photo of their face, one face (PNG, JPEG, WebP; repeatable).")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Register a performer: prompts naming them (or an alias, or an identifying word), and pictures showing the
    face of a reference photo, then need their consent."""
    studio = state(context).studio
    performer = studio.consent.add_performer(name, aliases=alias or [], identifying=identifying or [],
                                             contact=contact, agent=agent,
                                             photos=[read_user_file(path, "--photo") for path in photo or []],
                                             actor=studio.local_actor)
    if as_json:
        print_json(performer.to_json())
    else:
        typer.echo(f"performer {performer.id}: {performer.name}"
                   + (f" (aliases: {', '.join(performer.aliases)})" if performer.aliases else "")
                   + (f" (identifying: {', '.join(performer.identifying)})" if performer.identifying else "")
                   + (f" ({performer.photos} reference photo(s))" if performer.photos else ""))


@consent_app.command("add-photo")
def add_photo(
    context: typer.Context,
    performer: Annotated[str, typer.Argument(help="Performer name or alias.")],
    file: Annotated[Path, typer.Argument(help="A reference photo of their face, one face (PNG, JPEG, WebP).")],
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Add a reference photo of a performer's face: any picture showing that face then needs their consent."""
    studio = state(context).studio
    added = studio.consent.add_photo(performer, read_user_file(file, "FILE"), actor=studio.local_actor)
    if as_json:
        print_json(added.to_json())
    else:
        typer.echo(f"performer {added.id}: {added.name} ({added.photos} reference photo(s))")


@consent_app.command()
def grant(
    context: typer.Context,
    performer: Annotated[str, typer.Argument(help="Performer name or alias.")],
    project: Annotated[str, typer.Option(help="The project the grant is for.")],
    use: Annotated[list[str], typer.Option("--use", help=f"Allowed use (repeatable): {', '.join(USES)}.")],
    description: Annotated[str, typer.Option(help="Specifically what the likeness will be used for.")],
    until: Annotated[str, typer.Option(help="Last day the grant is valid, YYYY-MM-DD.")],
    valid_from: Annotated[str | None, typer.Option("--from", help="First valid day (default today).")] = None,
    evidence: Annotated[Path | None, typer.Option(help="Signed release or e-mail (PDF, PNG, JPEG, text).")] = None,
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Record a performer's consent for specific uses on one project; prints the grant id."""
    studio = state(context).studio
    granted = studio.consent.grant(
        performer, project=project, uses=use, description=description, valid_until=parse_date(until, "--until"),
        valid_from=parse_date(valid_from, "--from") if valid_from else None,
        evidence=read_user_file(evidence, "--evidence") if evidence else None, actor=studio.local_actor,
    )
    if as_json:
        print_json(granted.to_json())
    else:
        typer.echo(f"grant {granted.id}: {granted.performer} → {granted.project} for {', '.join(granted.uses)} "
                   f"until {granted.valid_until}")


@consent_app.command()
def revoke(
    context: typer.Context,
    grant_id: Annotated[int, typer.Argument(help="The grant to revoke.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
    as_json: Annotated[bool, JSON_OPTION] = False,
) -> None:
    """Revoke a grant; frames that relied on it are withdrawn."""
    studio = state(context).studio
    withdrawal = studio.consent.revoke(grant_id, reason=reason, actor=studio.local_actor)
    if as_json:
        print_json(withdrawal.to_json())
    else:
        typer.echo(f"grant {grant_id} revoked; {len(withdrawal.withdrawn_frame_ids)} frame(s) withdrawn "
                   f"({withdrawal.policy} policy): {', '.join(map(str, withdrawal.withdrawn_frame_ids)) or 'none'}")


@consent_app.command("list")
def list_consent(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Performers and their grants with each grant's state."""
    studio = state(context).studio
    performers = studio.consent.performers(actor=studio.local_actor)
    if as_json:
        print_json([performer.to_json() for performer in performers])
        return
    if not performers:
        typer.echo("no performers registered: add one with `previs consent add-performer NAME`")
    for performer in performers:
        aliases = f" (aliases: {', '.join(performer.aliases)})" if performer.aliases else ""
        typer.echo(f"{performer.name}{aliases}")
        for item in performer.grants:
            typer.echo(f"  grant {item.id:<4} {item.state:<13} {item.project:<16} {', '.join(item.uses):<30} "
                       f"{item.valid_from} → {item.valid_until}  {item.description}")


@consent_app.command()
def audit(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Every consent event in order: granted, revoked, expired, generation refused."""
    studio = state(context).studio
    events = studio.consent.audit(actor=studio.local_actor)
    if as_json:
        print_json([event.to_json() for event in events])
        return
    for event in events:
        grant_part = f"grant {event.grant_id}" if event.grant_id else "no grant"
        typer.echo(f"{event.id:>5}  {event.created_at}  {event.kind:<18} {grant_part:<10} {event.performer or '-':<20} "
                   f"{event.project or '-':<16} by {event.actor}: {event.reason}")
