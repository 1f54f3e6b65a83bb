"""Prompt templates as data: load and validate TOML templates and styles, render within a token limit.

The TOML schema is described in ``previs.prompts.library``; what the renderer keeps and drops, in
``previs.prompts.render``.
"""

from previs.prompts.fields import ALLOWED_FIELDS, CALLER_FIELDS, KINDS, scene_fields
from previs.prompts.library import (
    PromptLibrary,
    PromptPart,
    PromptTemplate,
    StylePreset,
    load_library,
)
from previs.prompts.render import RenderedPrompt
from previs.prompts.tokens import approximate_clip_tokens

__all__ = [
    "ALLOWED_FIELDS",
    "CALLER_FIELDS",
    "KINDS",
    "PromptLibrary",
    "PromptPart",
    "PromptTemplate",
    "RenderedPrompt",
    "StylePreset",
    "approximate_clip_tokens",
    "load_library",
    "scene_fields",
]
