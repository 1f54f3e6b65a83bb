"""Templates, styles and rendered prompts as values: what the TOML files say and what a frame records."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

SPLITS: dict[str, str] = {"sentences": " ", "items": ", "}
"""How a part's single placeholder may be cut into segments, and what joins the segments kept."""


@dataclass(frozen=True)
class PromptPart:
    """One phrase of a template. Parts appear in the prompt in template order, most important first.

    ``required`` parts are never dropped (for a ``split`` part: its first segment). ``split`` ("sentences"
    or "items", "" for none) lets the renderer keep the leading segments of a long value (the first
    sentences of the action, the first names of a cast) instead of all or nothing.
    """

    name: str
    text: str
    required: bool
    split: str
    placeholders: tuple[str, ...]


@dataclass(frozen=True)
class PromptTemplate:
    """A department's prompt recipe; ``ref`` ("id@version") is what a generated frame records."""

    id: str
    version: int
    kind: str
    description: str
    negative: str
    default_style: str
    parts: tuple[PromptPart, ...]

    @property
    def ref(self) -> str:
        """``set_concept@1``: names the exact wording a prompt was rendered from."""
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class StylePreset:
    """A look to apply: ``prompt`` fills ``{style}``, ``negative`` is added to the negative prompt."""

    id: str
    name: str
    prompt: str
    negative: str


@dataclass(frozen=True)
class DroppedSegment:
    """Text left out of a prompt to fit the token limit: a whole segment of ``part``.

    ``shortened`` marks the last resort for required parts too long to fit even alone: ``text`` is then
    the words cut from the end of the part, the rest of it being kept.
    """

    part: str
    text: str
    shortened: bool = False


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for the pipeline, with what a reviewer needs to trust it.

    ``template`` is "id@version"; ``token_count`` and ``negative_token_count`` are the caller's counts
    (begin/end tokens included), never above ``token_limit``; ``dropped`` lists every segment left out.
    """

    template: str
    kind: str
    prompt: str
    negative_prompt: str
    style: str
    token_count: int
    negative_token_count: int
    token_limit: int
    dropped: tuple[DroppedSegment, ...]

    @property
    def summary(self) -> str:
        """One sentence for a person saying what was left out, or "" when nothing was."""
        if not self.dropped:
            return ""
        left_out = Counter(segment.part for segment in self.dropped if not segment.shortened)
        shortened = list(dict.fromkeys(segment.part for segment in self.dropped if segment.shortened))
        phrases = [part if count == 1 else f"{count} segments of {part}" for part, count in left_out.items()]
        phrases += [f"the end of {part}" for part in shortened]
        return f"To fit the text encoder's {self.token_limit}-token limit, left out: {', '.join(phrases)}."

    def to_record(self) -> dict[str, Any]:
        """JSON-ready values for a frame's generation record."""
        return {
            "template": self.template,
            "kind": self.kind,
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "style": self.style,
            "token_count": self.token_count,
            "negative_token_count": self.negative_token_count,
            "token_limit": self.token_limit,
            "dropped": [
                {"part": segment.part, "text": segment.text, "shortened": segment.shortened} for segment in self.dropped
            ],
            "dropped_summary": self.summary,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> RenderedPrompt:
        """Read back ``to_record`` (a stored frame's ``prompt_template``); the summary is derived, not read."""
        return cls(template=data["template"], kind=data["kind"], prompt=data["prompt"],
                   negative_prompt=data["negative_prompt"], style=data["style"], token_count=data["token_count"],
                   negative_token_count=data["negative_token_count"], token_limit=data["token_limit"],
                   dropped=tuple(DroppedSegment(**segment) for segment in data["dropped"]))
