"""The app shell: title, the status line (who is acting, which model, whether frames are placeholders), tabs."""

from __future__ import annotations

from collections.abc import Sequence

import gradio as gr

from previs.access.permissions import Actor
from previs.access.users import ADD_USER_HINT, USERS_FILE, UserDirectory
from previs.app.studio import Studio
from previs.ui.context import UiContext
from previs.ui.tabs import TABS, TabSpec

CHEAP_EVENTS_AT_ONCE = 4  # events that do not run the model; those share one slot (see context.GENERATION)
# Gradio serves frames from copies in its cache: sweep hourly, dropping copies older than an hour, so a frame
# withdrawn when its consent is revoked does not stay reachable there for long.
CACHE_SWEEP = (3600, 3600)


def model_line(studio: Studio) -> str:
    status = studio.models.status()
    serving = sum(1 for worker in studio.models.workers() if worker.state != "lost")
    line = f"**Model:** `{status.name}` ({status.source}) · **Workers:** {serving} serving"
    if status.warning:
        line += f"\n\n> ⚠️ {status.warning}"
    return line


def no_login_notice(ui: UiContext) -> str:
    """Said in the status line and the log when the studio runs without a users file."""
    where = ui.studio.data_directory / USERS_FILE
    return (f"No login: there is no users file ({where}), so everyone who can open this page acts as "
            f"{ui.studio.local_actor.name} (admin). To turn login on, {ADD_USER_HINT}.")


def who_line(ui: UiContext, actor: Actor) -> str:
    if not ui.login_required:
        return f"**{no_login_notice(ui)}**"
    return f"Signed in as **{actor.name}** ({actor.role.value.replace('_', ' ')})"


def build_ui(studio: Studio, *, users: UserDirectory | None = None, tabs: Sequence[TabSpec] = TABS) -> gr.Blocks:
    """The whole page over ``studio``; with ``users`` every event acts as the logged-in user."""
    ui = UiContext(studio, users)

    def status(actor: Actor) -> str:
        """Who you are acting as, and what is generating frames (says when they are placeholders)."""
        return f"{who_line(ui, actor)}\n\n{model_line(studio)}"

    page = gr.Blocks(title="previs studio", delete_cache=CACHE_SWEEP)
    with page:  # not "as page": Blocks.__enter__ is unannotated (Any); it returns the Blocks itself
        with gr.Row(equal_height=True):
            gr.Markdown("# previs studio")
            if ui.login_required:
                gr.Button("Log out", link="logout", size="sm", scale=0, elem_id="logout")
        status_line = gr.Markdown(model_line(studio), elem_id="status-line")
        with gr.Tabs():
            for spec in tabs:
                with gr.Tab(spec.title, id=spec.key, elem_id=f"tab-{spec.key}") as tab:
                    on_open = spec.build(ui)
                if on_open is not None:
                    on_open(tab)
        page.load(ui.handler(status), None, status_line, api_name="status", queue=False)
    page.queue(default_concurrency_limit=CHEAP_EVENTS_AT_ONCE)
    return page
