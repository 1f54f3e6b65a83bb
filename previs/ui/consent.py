"""The Consent tab: performers, grants, revocations and the audit log, for producers and admins.

Every event goes to the consent registry, which refuses anyone without ``Action.MANAGE_CONSENT`` (viewing the
performers and the audit log too: who consented to what is personal). Messages show in plain text boxes,
since they quote names people typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.app.requests import DEFAULT_PROJECT
from previs.consent.likeness import USES
from previs.consent.registry import EventInfo, PerformerInfo, parse_date
from previs.errors import InvalidRequest
from previs.ui.context import UiContext
from previs.ui.inputs import chosen_id

AUDIT_COLUMNS = ["event", "time", "kind", "grant", "performer", "project", "by", "reason"]

Performers = list[dict[str, Any]]


def _performers(performers: list[PerformerInfo]) -> Performers:
    return [performer.to_json() for performer in performers]


def _audit_rows(events: list[EventInfo]) -> list[list[Any]]:
    return [[event.id, event.created_at, event.kind, event.grant_id, event.performer or "", event.project or "",
             event.actor, event.reason] for event in events]


def build(ui: UiContext) -> None:
    """Lay out the tab and wire its events to the consent registry (Studio.consent)."""
    registry = ui.studio.consent

    def consent_performers(actor: Actor) -> Performers:
        """Every registered performer with their grants and each grant's state now."""
        return _performers(registry.performers(actor=actor))

    def add_performer(actor: Actor, name: str, aliases: str, identifying: str) -> tuple[str, Performers]:
        """Register a performer (aliases and identifying words one per line): prompts naming them then need their
        consent."""
        added = registry.add_performer(name, aliases=aliases.splitlines(), identifying=identifying.splitlines(),
                                       actor=actor)
        also = f" (also known as {', '.join([*added.aliases, *added.identifying])})" \
            if added.aliases or added.identifying else ""
        return f"Performer {added.id}: {added.name}{also}", consent_performers(actor)

    def add_photo(actor: Actor, performer: str, photo: str | None) -> tuple[str, Performers]:
        """Add a reference photo of a registered performer's face (``photo`` is Gradio's temporary copy of the
        upload): any picture showing that face then needs their consent."""
        if not photo:
            raise InvalidRequest("choose a reference photo of the performer's face to upload")
        added = registry.add_photo(performer, Path(photo), actor=actor)
        return f"Performer {added.id}: {added.name} ({added.photos} reference photo(s))", consent_performers(actor)

    def grant_consent(actor: Actor, performer: str, project: str, uses: list[str], description: str,
                      until: str | None, evidence: str | None) -> tuple[str, Performers]:
        """Record consent for specific uses on one project until a date, with the signed release if given
        (``evidence`` is Gradio's temporary copy of the upload, never a name the user chose)."""
        granted = registry.grant(performer, project=project.strip() or DEFAULT_PROJECT, uses=uses or [],
                                 description=description, valid_until=parse_date(until or "", "valid until"),
                                 evidence=Path(evidence) if evidence else None, actor=actor)
        kept = f"; evidence kept ({granted.evidence_type})" if granted.evidence_sha256 else ""
        return (f"Grant {granted.id}: {granted.performer} → {granted.project} for {', '.join(granted.uses)} "
                f"until {granted.valid_until} ({granted.state.replace('_', ' ')}){kept}"), consent_performers(actor)

    def revoke_grant(actor: Actor, grant: str, reason: str) -> tuple[str, Performers]:
        """Revoke a grant; the frames that relied on it are withdrawn from every listing at once."""
        grant_id = chosen_id(grant, "grant", "type the grant's number from the list of performers")
        withdrawal = registry.revoke(grant_id, reason=reason, actor=actor)
        frames = ", ".join(map(str, withdrawal.withdrawn_frame_ids)) or "none"
        return (f"Grant {grant_id} revoked; {len(withdrawal.withdrawn_frame_ids)} frame(s) withdrawn "
                f"({withdrawal.policy} policy): {frames}"), consent_performers(actor)

    def consent_audit(actor: Actor) -> list[list[Any]]:
        """Every consent event in order: granted, revoked, expired, generation refused."""
        return _audit_rows(registry.audit(actor=actor))

    gr.Markdown("Only producers and admins manage consent. Nothing here is edited or deleted: a revocation is "
                "a new event, and frames that relied on the grant are withdrawn.")
    with gr.Row():
        with gr.Column():
            gr.Markdown("**Add a performer**")
            name = gr.Textbox(label="Name", elem_id="consent-name")
            aliases = gr.Textbox(label="Other names (one per line)", lines=2, elem_id="consent-aliases")
            identifying = gr.Textbox(label="Stage names, nicknames: words that name them alone (one per line)",
                                     lines=2, elem_id="consent-identifying")
            add_button = gr.Button("Add performer", elem_id="consent-add-performer")
            gr.Markdown("**Add a reference photo** (one face; pictures showing it then need their consent)")
            photo_performer = gr.Textbox(label="Performer (name or alias)", elem_id="consent-photo-performer")
            photo = gr.File(label="Photo of their face (PNG, JPEG, WebP)", type="filepath", elem_id="consent-photo")
            photo_button = gr.Button("Add photo", elem_id="consent-add-photo")
        with gr.Column(scale=2):
            gr.Markdown("**Grant consent**")
            with gr.Row():
                performer = gr.Textbox(label="Performer (name or alias)", elem_id="consent-grant-performer")
                project = gr.Textbox(label="Project", value=DEFAULT_PROJECT, elem_id="consent-grant-project")
            uses = gr.CheckboxGroup(list(USES), label="Allowed uses", elem_id="consent-uses")
            description = gr.Textbox(label="Specifically what the likeness will be used for", lines=2,
                                     elem_id="consent-description",
                                     placeholder="costume fittings for the ballroom scene, previs only")
            with gr.Row():
                until = gr.DateTime(label="Valid until", include_time=False, type="string", elem_id="consent-until")
                evidence = gr.File(label="Signed release (PDF, PNG, JPEG or text)", type="filepath",
                                   elem_id="consent-evidence")
            grant_button = gr.Button("Grant", variant="primary", elem_id="consent-grant")
        with gr.Column():
            gr.Markdown("**Revoke a grant**")
            grant = gr.Textbox(label="Grant number", elem_id="consent-revoke-grant")
            reason = gr.Textbox(label="Why", elem_id="consent-revoke-reason",
                                placeholder="performer withdrew consent")
            revoke_button = gr.Button("Revoke", variant="stop", elem_id="consent-revoke")
    result = gr.Textbox(label="Result", interactive=False, elem_id="consent-result")
    with gr.Row():
        list_button = gr.Button("Show performers and grants", elem_id="consent-list")
        audit_button = gr.Button("Show the audit log", elem_id="consent-audit-show")
    performers = gr.JSON(label="Performers and their grants", elem_id="consent-performers")
    audit = gr.Dataframe(headers=AUDIT_COLUMNS, label="Audit log", interactive=False, wrap=True,
                         elem_id="consent-audit")

    changed = [result, performers]
    list_button.click(ui.handler(consent_performers), None, performers, api_name="consent_performers")
    add_button.click(ui.handler(add_performer), [name, aliases, identifying], changed,
                     api_name="add_performer")
    photo_button.click(ui.handler(add_photo), [photo_performer, photo], changed, api_name="add_photo")
    grant_button.click(ui.handler(grant_consent), [performer, project, uses, description, until, evidence],
                       changed, api_name="grant_consent")
    revoke_button.click(ui.handler(revoke_grant), [grant, reason], changed, api_name="revoke_grant")
    audit_button.click(ui.handler(consent_audit), None, audit, api_name="consent_audit")
