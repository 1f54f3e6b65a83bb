"""The tab registry: which tabs the studio shows, in order. A tab is a module with ``build(ui: UiContext)``.

To add a tab, write ``previs/ui/<name>.py`` with a ``build`` that lays out widgets inside the tab and wires its
events through ``ui.handler`` to facade methods, then add one ``TabSpec`` line here, naming the action the tab
is for: the page shows the tab only to roles allowed it (``shell.build_ui`` asks on every page load, for the
signed-in user). A ``build`` that returns a function gets the tab back once it is laid out, to wire what should
happen each time the tab is opened (the Review tab shows its queue then, so a producer never looks at an empty
or stale list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

from previs.access.permissions import ALLOWED, Action, Role
from previs.ui import concepts, consent, fitting, library, provenance, review, storyboard
from previs.ui.context import UiContext

OnOpen = Callable[[gr.Tab], object]  # wires the tab's ``select`` event (what opening the tab does)


@dataclass(frozen=True)
class TabSpec:
    title: str
    key: str  # stable id: the tab's elem_id ("tab-<key>") and its screenshot's file name
    build: Callable[[UiContext], OnOpen | None]
    action: Action = Action.VIEW  # what the tab is for: only roles allowed it see it (endpoints check again)

    @property
    def for_everyone(self) -> bool:
        return ALLOWED[self.action] == frozenset(Role)


TABS: tuple[TabSpec, ...] = (
    TabSpec("Set concepts", "concepts", concepts.build, Action.GENERATE_SET),
    TabSpec("Library", "library", library.build, Action.VIEW),
    TabSpec("Costume fitting", "fitting", fitting.build, Action.FIT_COSTUME),
    TabSpec("Storyboard", "storyboard", storyboard.build, Action.BUILD_STORYBOARD),
    TabSpec("Review", "review", review.build, Action.REVIEW),
    TabSpec("Consent", "consent", consent.build, Action.MANAGE_CONSENT),
    TabSpec("Provenance", "provenance", provenance.build, Action.VERIFY),
)
