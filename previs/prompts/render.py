"""Fitting a template's parts into the text encoder's token window, and saying what did not fit.

CLIP reads 77 tokens and silently ignores the rest, so a long scene would lose whatever came last, often
the style. Instead parts are admitted by priority: required parts always (if they alone overflow, the
longest are cut at word boundaries to an equal word count), then optional parts from highest priority
down, each kept whole, shortened to a word-boundary prefix (if ``shortenable``) or dropped. Parts keep
their template order in the text. Every part dropped or shortened is named in ``RenderedPrompt.dropped``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from previs.errors import InvalidRequest
from previs.prompts.fields import CALLER_FIELDS, STYLE_FIELD

if TYPE_CHECKING:
    from previs.prompts.library import PromptPart, PromptTemplate, StylePreset

_JOIN = ", "
_TRIM = " ,;:-"
_MIN_SHORTENED_WORDS = 3  # a one- or two-word stub of a sentence says nothing; drop the part instead


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for the pipeline, with what a reviewer needs to trust it.

    ``template_ref`` is "id@version"; ``style`` the style id or None; ``token_count`` the caller's count of
    ``text`` (begin/end tokens included), never above ``token_limit``; ``dropped`` names each part dropped
    or shortened, e.g. ("characters (dropped)", "action (shortened)").
    """

    text: str
    negative: str
    template_ref: str
    style: str | None
    token_count: int
    token_limit: int
    dropped: tuple[str, ...]


def render(
    template: PromptTemplate,
    fields: Mapping[str, str],
    style: StylePreset | None,
    count_tokens: Callable[[str], int],
    token_limit: int,
) -> RenderedPrompt:
    """Render ``template`` with ``fields`` and ``style`` within ``token_limit`` tokens (see module doc).

    A part whose placeholders are all empty is left out without being reported: there was nothing to say.
    Deterministic: the same inputs and counter give the same prompt.
    """
    values = _checked_fields(fields)
    values[STYLE_FIELD] = style.prompt if style else ""
    if isinstance(token_limit, bool) or not isinstance(token_limit, int) or count_tokens("") >= token_limit:
        raise InvalidRequest(f"token_limit {token_limit!r} leaves no room for a prompt")
    candidates = {order: text for order, part in enumerate(template.parts) if (text := _fill(part, values))}
    window = _Window(count_tokens, token_limit)
    parts = dict(enumerate(template.parts))
    required = {order: text for order, text in candidates.items() if parts[order].required}
    window.admit_core(required, {order: parts[order].name for order in required})
    for order in sorted(set(candidates) - set(required), key=lambda o: (-parts[o].priority, o)):
        if window.fits({order: candidates[order]}):
            window.kept[order] = candidates[order]
        elif parts[order].shortenable:
            window.squeeze(order, candidates[order], parts[order].name)
        else:
            window.dropped.append(f"{parts[order].name} (dropped)")
    negative, negative_cut = _negative(template, style, count_tokens, token_limit)
    if negative_cut:
        window.dropped.append("negative prompt (shortened)")
    text = window.text()
    return RenderedPrompt(
        text=text,
        negative=negative,
        template_ref=template.ref,
        style=style.id if style else None,
        token_count=count_tokens(text),
        token_limit=token_limit,
        dropped=tuple(window.dropped),
    )


def _negative(
    template: PromptTemplate, style: StylePreset | None, count_tokens: Callable[[str], int], token_limit: int
) -> tuple[str, bool]:
    """Template negative plus the style's additions, cut to fit the window; True when it had to be cut."""
    negatives = (template.negative, style.negative if style else "")
    words = _JOIN.join(text for text in negatives if text.strip()).split()
    count = _most(len(words), lambda n: count_tokens(_prefix(words, n)) <= token_limit)
    return _prefix(words, count), count < len(words)


class _Window:
    """The parts admitted so far (by template position) and what had to give way."""

    def __init__(self, count_tokens: Callable[[str], int], token_limit: int) -> None:
        self.count_tokens = count_tokens
        self.token_limit = token_limit
        self.kept: dict[int, str] = {}
        self.dropped: list[str] = []

    def text(self, extra: Mapping[int, str] | None = None) -> str:
        """The prompt the kept parts (plus ``extra``) make, in template order."""
        merged = {**self.kept, **(extra or {})}
        return _JOIN.join(merged[order] for order in sorted(merged) if merged[order])

    def fits(self, extra: Mapping[int, str] | None = None) -> bool:
        """Whether the kept parts plus ``extra`` are within the limit."""
        return self.count_tokens(self.text(extra)) <= self.token_limit

    def admit_core(self, texts: Mapping[int, str], names: Mapping[int, str]) -> None:
        """Keep all required parts; if they overflow, cap each at the largest word count that fits.

        Capping trims the longest parts and leaves short ones (a location, a time of day) whole.
        """
        words = {order: text.split() for order, text in texts.items()}
        longest = max(map(len, words.values()), default=0)
        cap = _most(longest, lambda n: self.fits({o: _prefix(w, n) for o, w in words.items()}))
        for order, text in texts.items():
            kept = _prefix(words[order], cap)
            if kept:
                self.kept[order] = kept
            if kept != text:
                self.dropped.append(f"{names[order]} ({'shortened' if kept else 'dropped'})")

    def squeeze(self, order: int, text: str, name: str) -> None:
        """Keep the longest word-prefix of ``text`` that fits, if it has a few words; else drop the part."""
        words = text.split()
        count = _most(len(words), lambda n: self.fits({order: _prefix(words, n)}))
        if count >= _MIN_SHORTENED_WORDS:
            self.kept[order] = _prefix(words, count)
        self.dropped.append(f"{name} ({'shortened' if count >= _MIN_SHORTENED_WORDS else 'dropped'})")


def _most(limit: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 0..limit for which ``fits(n)`` holds, assuming it holds up to some n (0 if none)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _prefix(words: list[str], count: int) -> str:
    """The first ``count`` words, without dangling separators."""
    return " ".join(words[:count]).rstrip(_TRIM)


def _fill(part: PromptPart, values: Mapping[str, str]) -> str:
    """The part's text with its placeholders filled, or "" when every placeholder it has is empty."""
    filled = {name: values.get(name, "") for name in part.placeholders}
    if part.placeholders and not any(filled.values()):
        return ""
    text = " ".join(part.text.format_map(filled).split())
    return text.replace(" ,", ",").strip(_TRIM)


def _checked_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Whitespace-normalised copies of ``fields``; unknown names and non-text values are refused."""
    values: dict[str, str] = {}
    for name, value in fields.items():
        if name == STYLE_FIELD:
            raise InvalidRequest("fields: 'style' is set by choosing a style preset (style=...), not a field")
        if name not in CALLER_FIELDS:
            raise InvalidRequest(f"fields: unknown field {name!r}; known: {', '.join(sorted(CALLER_FIELDS))}")
        if not isinstance(value, str):
            raise InvalidRequest(f"fields: {name!r} must be text, got {type(value).__name__}")
        values[name] = " ".join(value.split())
    return values
