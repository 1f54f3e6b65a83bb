"""The app shell: title, the status line (who is acting, which model, whether frames are placeholders), tabs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from previs.access.permissions import Actor
from previs.access.users import ADD_USER_HINT, UserDirectory, UsersFileWatch, users_path
from previs.app.studio import Studio
from previs.ui.context import UiContext
from previs.ui.tabs import TABS, TabSpec

CHEAP_EVENTS_AT_ONCE = 4  # events that do not run the model; those share one slot (see context.GENERATION)
# Gradio serves frames from copies in its cache: sweep hourly, dropping copies older than an hour, so a frame
# withdrawn when its consent is revoked does not stay reachable there for long.
CACHE_SWEEP = (3600, 3600)
# Ctrl+Enter (Cmd+Enter) in a tab's form presses that tab's primary button: Generate, Fit, Build, ...
KEYBOARD = """<script>
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const tab = event.target.closest && event.target.closest("[id^=tab-]");
  const button = tab && tab.querySelector("button.primary");
  if (button) { event.preventDefault(); button.click(); }
});
</script>"""


def model_line(studio: Studio) -> str:
    status = studio.models.status()
    serving = sum(1 for worker in studio.models.workers() if worker.state != "lost")
    line = (f"**Model:** `{status.name}`" + (f" ({status.source})" if status.source != status.name else "")
            + f" · **Workers:** {serving} serving")
    if status.warning:
        line += f"\n\n> ⚠️ {status.warning}"
    return line


def no_login_notice(ui: UiContext) -> str:
    """Said in the status line and the log when the studio runs without a users file."""
    where = ui.watch.path if ui.watch is not None else users_path(ui.studio.data_directory)
    return (f"No login: the users file ({where}) has no users yet, so everyone who can open this page acts as "
            f"{ui.studio.local_actor.name} (admin). To turn login on, {ADD_USER_HINT}: it takes effect at once, "
            "without a restart.")


def who_line(ui: UiContext, actor: Actor) -> str:
    if not ui.login_required:
        return f"**{no_login_notice(ui)}**"
    return f"Signed in as **{actor.name}** ({actor.role.value.replace('_', ' ')})"


def build_ui(studio: Studio, *, users: UserDirectory | None = None, watch: UsersFileWatch | None = None,
             tabs: Sequence[TabSpec] = TABS) -> gr.Blocks:
    """The whole page over ``studio``; with ``users`` (or once ``watch`` finds some) every event acts as the
    logged-in user."""
    ui = UiContext(studio, users, watch)

    def page_tabs(actor: Actor) -> list[dict[str, Any]]:
        """Which tabs this user sees: those their role may use (every endpoint still checks the role)."""
        return [gr.update(visible=actor.may(spec.action)) for spec in tabs]

    def status(actor: Actor) -> str:
        """Who you are acting as, and what is generating frames (says when they are placeholders)."""
        return f"{who_line(ui, actor)}\n\n{model_line(studio)}"

    page = gr.Blocks(title="previs studio", delete_cache=CACHE_SWEEP)
    with page:  # not "as page": Blocks.__enter__ is unannotated (Any); it returns the Blocks itself
        with gr.Row(equal_height=True):
            gr.Markdown("# previs studio")
            logout = gr.Button("Log out", link="logout", size="sm", scale=0, elem_id="logout",
                               visible=ui.login_required)
        status_line = gr.Markdown(model_line(studio), elem_id="status-line")
        shown: list[gr.Tab] = []
        with gr.Tabs():
            for spec in tabs:  # a tab not every role may use stays hidden until the page learns who is looking
                with gr.Tab(spec.title, id=spec.key, elem_id=f"tab-{spec.key}", visible=spec.for_everyone) as tab:
                    on_open = spec.build(ui)
                if on_open is not None:
                    on_open(tab)
                shown.append(tab)
        page.load(ui.handler(page_tabs), None, shown, api_name="page_tabs", queue=False)
        page.load(ui.handler(status), None, status_line, api_name="status", queue=False)
        page.load(lambda: gr.update(visible=ui.login_required), None, logout, api_visibility="private",
                  queue=False)
    page.queue(default_concurrency_limit=CHEAP_EVENTS_AT_ONCE)
    return page
