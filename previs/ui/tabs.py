"""The tab registry: which tabs the studio shows, in order. A tab is a module with ``build(ui: UiContext)``.

To add a tab, write ``previs/ui/<name>.py`` with a ``build`` that lays out widgets inside the tab and wires its
events through ``ui.handler`` to facade methods, then add one ``TabSpec`` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from previs.ui import concepts
from previs.ui.context import UiContext


@dataclass(frozen=True)
class TabSpec:
    title: str
    key: str  # stable id: the tab's elem_id ("tab-<key>") and its screenshot's file name
    build: Callable[[UiContext], None]


TABS: tuple[TabSpec, ...] = (
    TabSpec("Set concepts", "concepts", concepts.build),
)
