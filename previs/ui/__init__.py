"""Gradio front end: lays out widgets, turns their values into requests, shows results. No business logic.

``build_ui`` makes the page (the shell and the tabs in ``previs.ui.tabs.TABS``); ``serve`` starts it with
login on when the studio has users.
"""

from previs.ui.context import UiContext
from previs.ui.server import serve, server_address
from previs.ui.shell import build_ui
from previs.ui.tabs import TABS, TabSpec

__all__ = ["TABS", "TabSpec", "UiContext", "build_ui", "serve", "server_address"]
