"""Fitting a template's parts into the text encoder's token window, and saying what did not fit.

CLIP reads 77 tokens and silently ignores the rest, so a long scene would lose whatever came last, often
the style. Instead the prompt is built in the template's order of importance: first every required part
(for a split part, its first segment), then each further segment in template order, kept whole if the
prompt still fits and otherwise dropped, together with the later segments of the same part (a story told
from its third sentence would mislead). A later, shorter part may still fit. Nothing is cut mid-segment,
except as a last resort when the required parts alone overflow: then the longest are trimmed at word
boundaries to an equal word count. Every segment left out is reported in ``RenderedPrompt.dropped``.
Templates list the person's words (a description, a garment) before their own phrases, so boilerplate is
what gives way first. A part that only repeats what a required part already says (the location inferred
from a description, its time of day) is left out unreported: it would spend tokens saying it twice.
The negative prompt (template, style, then base terms) is fitted the same way, term by term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from previs.errors import InvalidRequest
from previs.prompts.model import SPLITS, DroppedSegment, PromptPart, PromptTemplate, RenderedPrompt, StylePreset
from previs.prompts.tokens import TokenCounter
from previs.scenes.sentences import split_sentences

_JOIN = ", "
_TRIM = " ,;:-"
_ITEMS_RE = re.compile(r"\s*[,;]\s*")
_SPLITTERS: dict[str, Callable[[str], list[str]]] = {"sentences": split_sentences, "items": _ITEMS_RE.split}
NEGATIVE_PART = "negative prompt"


def render(
    template: PromptTemplate,
    values: Mapping[str, str],
    style: StylePreset,
    base_negative: str,
    count_tokens: TokenCounter,
    token_limit: int,
) -> RenderedPrompt:
    """Render ``template`` with placeholder ``values`` within ``token_limit`` tokens (see module doc).

    A part whose placeholders are all empty is left out without being reported: it had nothing to say.
    Deterministic: the same inputs and counter give the same prompt.
    """
    # 1. Check the window
    if isinstance(token_limit, bool) or not isinstance(token_limit, int) or count_tokens("") >= token_limit:
        raise InvalidRequest(f"token_limit {token_limit!r} leaves no room for a prompt")

    def fits(text: str) -> bool:
        return count_tokens(text) <= token_limit

    # 2. Cut each part into segments, and admit them by importance
    window = _Window(_without_echoes([_Segments.of(part, values) for part in template.parts]), fits)
    window.admit_required()
    window.admit_the_rest()
    # 3. Fit the negative prompt
    negative, negative_dropped = _negative((template.negative, style.negative, base_negative), fits)
    prompt = window.text()
    return RenderedPrompt(
        template=template.ref,
        kind=template.kind,
        prompt=prompt,
        negative_prompt=negative,
        style=style.id,
        token_count=count_tokens(prompt),
        negative_token_count=count_tokens(negative),
        token_limit=token_limit,
        dropped=(*window.dropped, *negative_dropped),
    )


@dataclass(frozen=True)
class _Segments:
    """A part cut into segments; ``text(n)`` is the part with its first ``n`` segments."""

    part: PromptPart
    values: Mapping[str, str]
    segments: tuple[str, ...]

    @classmethod
    def of(cls, part: PromptPart, values: Mapping[str, str]) -> _Segments:
        filled = {name: values.get(name, "") for name in part.placeholders}
        if part.placeholders and not any(filled.values()):
            return cls(part, filled, ())
        if not part.split:
            return cls(part, filled, (_format(part.text, filled),))
        (name,) = part.placeholders
        return cls(part, filled, tuple(s for s in _SPLITTERS[part.split](filled[name]) if s))

    def text(self, count: int) -> str:
        if not self.part.split:
            return self.segments[0] if count else ""
        (name,) = self.part.placeholders
        return _format(self.part.text, {name: SPLITS[self.part.split].join(self.segments[:count])})


def _without_echoes(parts: list[_Segments]) -> list[_Segments]:
    """Empty the parts whose main (longest) value a kept required part's first segment already says, word for
    word: "in Neo Tokyo" after "A rooftop in Neo Tokyo at night" (a lone "exterior" beside it is not worth it)."""
    for i, part in enumerate(parts):
        said = [other.segments[0].lower() for j, other in enumerate(parts)
                if j != i and other.part.required and other.segments]
        main = max((value.lower() for value in part.values.values()), key=len, default="")
        if main and any(_says(text, main) for text in said):
            parts[i] = _Segments(part.part, part.values, ())
    return parts


def _says(text: str, words: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


class _Window:
    """How many segments of each part are kept so far, and what had to give way."""

    def __init__(self, parts: list[_Segments], fits: Callable[[str], bool]) -> None:
        self.parts = parts
        self.fits = fits
        self.kept: dict[int, int] = {}
        self.trimmed: dict[int, str] = {}
        self.dropped: list[DroppedSegment] = []

    def text(self, trimmed: Mapping[int, str] | None = None) -> str:
        """The prompt the kept segments make, in template order; ``trimmed`` replaces some parts' text."""
        trimmed = self.trimmed if trimmed is None else trimmed
        texts = (trimmed[i] if i in trimmed else self.parts[i].text(n) for i, n in sorted(self.kept.items()))
        return _JOIN.join(text for text in texts if text)

    def admit_required(self) -> None:
        """Keep each required part's first segment; if they overflow, cap them at the largest word count that fits.

        Capping trims the longest parts and leaves short ones (a location, a time of day) whole.
        """
        required = [i for i, part in enumerate(self.parts) if part.part.required and part.segments]
        self.kept = dict.fromkeys(required, 1)
        if self.fits(self.text()):
            return
        words = {i: self.parts[i].text(1).split() for i in required}

        def capped(cap: int) -> dict[int, str]:
            return {i: _prefix(all_words, cap) for i, all_words in words.items()}

        cap = _most(max(map(len, words.values())), lambda n: self.fits(self.text(capped(n))))
        self.trimmed = capped(cap)
        for i, all_words in words.items():
            if len(all_words) > cap:
                cut = " ".join(all_words[cap:])
                self.dropped.append(DroppedSegment(self.parts[i].part.name, cut, shortened=bool(self.trimmed[i])))

    def admit_the_rest(self) -> None:
        """Add segments in template order while they fit; a segment that does not ends its part."""
        for i, part in enumerate(self.parts):
            start = len(part.segments) if i in self.trimmed else self.kept.get(i, 0)
            for count in range(start + 1, len(part.segments) + 1):
                before = self.kept.get(i, 0)
                self.kept[i] = count
                if not self.fits(self.text()):
                    self.kept[i] = before
                    self._drop(part, part.segments[count - 1 :])
                    break
            if i in self.trimmed:
                self._drop(part, part.segments[1:])
            if not self.kept.get(i):
                self.kept.pop(i, None)

    def _drop(self, part: _Segments, segments: tuple[str, ...]) -> None:
        self.dropped += [DroppedSegment(part.part.name, segment) for segment in segments]


def _negative(sources: tuple[str, ...], fits: Callable[[str], bool]) -> tuple[str, list[DroppedSegment]]:
    """Comma-separated terms from each source, once each, kept while they fit; the rest reported."""
    terms = dict.fromkeys(term.strip() for source in sources for term in source.split(",") if term.strip())
    kept: list[str] = []
    dropped: list[DroppedSegment] = []
    for term in terms:
        if fits(_JOIN.join([*kept, term])):
            kept.append(term)
        else:
            dropped.append(DroppedSegment(NEGATIVE_PART, term))
    return _JOIN.join(kept), dropped


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


def _format(text: str, values: Mapping[str, str]) -> str:
    """The part's text with its placeholders filled, whitespace normalised, no dangling separators or full stop
    (parts are joined with commas, and "drips., " reads as a typo)."""
    filled = " ".join(text.format_map(values).split())
    return filled.replace(" ,", ",").strip(_TRIM).rstrip(".").rstrip(_TRIM)
