"""Prompt templates as data: load and validate the TOML templates and styles, render within a token limit.

``load_library()`` reads the shipped ``prompts/`` folder (schema in ``previs.prompts.library``);
``PromptLibrary.render(kind, scene=..., shot=..., costume=..., style=...)`` builds a prompt that fits the
text encoder and reports what it left out (see ``previs.prompts.render``).
"""

from previs.prompts.fields import KINDS, PLACEHOLDERS, CostumeDetails
from previs.prompts.library import PromptLibrary, default_prompts_dir, load_library
from previs.prompts.model import DroppedSegment, PromptPart, PromptTemplate, RenderedPrompt, StylePreset
from previs.prompts.tokens import CLIP_TOKEN_LIMIT, TokenCounter, approximate_clip_tokens

__all__ = [
    "CLIP_TOKEN_LIMIT",
    "KINDS",
    "PLACEHOLDERS",
    "CostumeDetails",
    "DroppedSegment",
    "PromptLibrary",
    "PromptPart",
    "PromptTemplate",
    "RenderedPrompt",
    "StylePreset",
    "TokenCounter",
    "approximate_clip_tokens",
    "default_prompts_dir",
    "load_library",
]
