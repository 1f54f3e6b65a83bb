"""Gradio front end: lays out widgets, turns their values into requests, shows results. No business logic."""

from previs.ui.concepts import build_ui

__all__ = ["build_ui"]
