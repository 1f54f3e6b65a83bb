"""The tab registry: which tabs the studio shows, in order. A tab is a module with ``build(ui: UiContext)``.

To add a tab, write ``previs/ui/<name>.py`` with a ``build`` that lays out widgets inside the tab and wires its
events through ``ui.handler`` to facade methods, then add one ``TabSpec`` line here. A ``build`` that returns a
function gets the tab back once it is laid out, to wire what should happen each time the tab is opened
(the Review tab shows its queue then, so a producer never looks at an empty or stale list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

from previs.ui import concepts, consent, fitting, library, provenance, review, storyboard
from previs.ui.context import UiContext

OnOpen = Callable[[gr.Tab], object]  # wires the tab's ``select`` event (what opening the tab does)


@dataclass(frozen=True)
class TabSpec:
    title: str
    key: str  # stable id: the tab's elem_id ("tab-<key>") and its screenshot's file name
    build: Callable[[UiContext], OnOpen | None]


TABS: tuple[TabSpec, ...] = (
    TabSpec("Set concepts", "concepts", concepts.build),
    TabSpec("Library", "library", library.build),
    TabSpec("Costume fitting", "fitting", fitting.build),
    TabSpec("Storyboard", "storyboard", storyboard.build),
    TabSpec("Review", "review", review.build),
    TabSpec("Consent", "consent", consent.build),
    TabSpec("Provenance", "provenance", provenance.build),
)
