"""Prompt templates and style presets, loaded from TOML files and checked before anything renders them.

A prompt directory holds one TOML file per template plus ``styles.toml``. A template file::

    id = "set_concept"            # unique across the directory; [a-z][a-z0-9_]*
    version = 1                   # bump when the wording changes: frames record "set_concept@1"
    kind = "set"                  # "set" | "costume" | "storyboard": decides the allowed placeholders
    description = "..."
    negative = "blurry, text"     # default negative prompt

    [[part]]                      # parts appear in the prompt in file order, joined by ", "
    name = "location"             # human-readable; reported when the part is dropped or shortened
    text = "{interior_exterior} {location}"   # placeholders from previs.prompts.ALLOWED_FIELDS[kind]
    priority = 90                 # when the prompt is too long, lower priorities go first
    required = true               # optional, default false: never dropped, only trimmed as a last resort
    shortenable = false           # optional, default false: may be cut at a word boundary, not just dropped

``styles.toml`` has one table per style: ``[concept_art]`` with ``name`` (display name), ``prompt`` (text for
the ``{style}`` placeholder) and ``negative`` (added to the template's negative prompt). Any other key, a
wrong type, a duplicate id or an unknown placeholder is a TemplateError naming the file and the field.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from previs.errors import InvalidRequest, TemplateError
from previs.prompts.fields import ALLOWED_FIELDS, KINDS
from previs.prompts.render import RenderedPrompt, render

STYLES_FILE = "styles.toml"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_KEYS = {"id": str, "version": int, "kind": str, "description": str, "negative": str, "part": list}
_PART_KEYS = {"name": str, "text": str, "priority": int, "required": bool, "shortenable": bool}
_PART_OPTIONAL = {"required", "shortenable"}
_STYLE_KEYS = {"name": str, "prompt": str, "negative": str}


@dataclass(frozen=True)
class PromptPart:
    """One phrase of a template; ``placeholders`` are the field names its text uses, in order."""

    name: str
    text: str
    priority: int
    required: bool
    shortenable: bool
    placeholders: tuple[str, ...]


@dataclass(frozen=True)
class PromptTemplate:
    """A department's prompt recipe; ``ref`` ("id@version") is what a generated frame records."""

    id: str
    version: int
    kind: str
    description: str
    negative: str
    parts: tuple[PromptPart, ...]

    @property
    def ref(self) -> str:
        """``set_concept@1``: names the exact wording a prompt was rendered from."""
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class StylePreset:
    """A look to apply: ``prompt`` fills ``{style}``, ``negative`` is appended to the negative prompt."""

    id: str
    name: str
    prompt: str
    negative: str


_Item = TypeVar("_Item", PromptTemplate, StylePreset)


@dataclass(frozen=True)
class PromptLibrary:
    """All templates and styles of a prompt directory, sorted by id."""

    templates: tuple[PromptTemplate, ...]
    styles: tuple[StylePreset, ...]

    def template(self, template_id: str) -> PromptTemplate:
        """The template with ``template_id``; InvalidRequest listing the known ids otherwise."""
        return _find(self.templates, template_id, "template")

    def style(self, style_id: str) -> StylePreset:
        """The style preset ``style_id`` (e.g. "concept_art"); InvalidRequest listing known ones otherwise."""
        return _find(self.styles, style_id, "style")

    def render(
        self,
        template_id: str,
        fields: Mapping[str, str],
        *,
        style: str | None = None,
        count_tokens: Callable[[str], int],
        token_limit: int = 77,
    ) -> RenderedPrompt:
        """Render a template with ``fields`` and an optional style so it fits the text encoder.

        ``count_tokens(text)`` must return how many tokens the encoder sees for ``text`` *including* its
        begin and end tokens, e.g. ``lambda t: len(clip_tokenizer(t).input_ids)``, or
        ``approximate_clip_tokens``; ``token_limit`` counts the same way (77 for CLIP). See ``render``
        in ``previs.prompts.render`` for what is kept, shortened and dropped.
        """
        chosen = self.style(style) if style is not None else None
        return render(self.template(template_id), fields, chosen, count_tokens, token_limit)


def load_library(directory: Path) -> PromptLibrary:
    """Load and validate every ``*.toml`` template in ``directory`` and its ``styles.toml``."""
    if not directory.is_dir():
        raise TemplateError(f"{directory}: prompt directory not found")
    styles_path = directory / STYLES_FILE
    if not styles_path.is_file():
        raise TemplateError(f"{styles_path}: file missing; it must define the style presets")
    templates: dict[str, tuple[PromptTemplate, Path]] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == STYLES_FILE:
            continue
        template = _parse_template(path, _read_toml(path))
        if template.id in templates:
            other = templates[template.id][1]
            raise TemplateError(
                f"{path}: field 'id': duplicate template id {template.id!r} (also in {other})"
            )
        templates[template.id] = (template, path)
    if not templates:
        raise TemplateError(f"{directory}: no template files (*.toml besides {STYLES_FILE})")
    styles = _parse_styles(styles_path, _read_toml(styles_path))
    return PromptLibrary(
        templates=tuple(templates[key][0] for key in sorted(templates)),
        styles=tuple(sorted(styles, key=lambda preset: preset.id)),
    )


def _find(items: tuple[_Item, ...], wanted: str, what: str) -> _Item:
    """Look ``wanted`` up by id, or say which ids exist."""
    for item in items:
        if item.id == wanted:
            return item
    known = ", ".join(item.id for item in items)
    raise InvalidRequest(f"{what} {wanted!r} does not exist; choose one of: {known}")


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise TemplateError(f"{path}: invalid TOML: {err}") from None


def _parse_template(path: Path, data: dict[str, Any]) -> PromptTemplate:
    """Check a template table field by field and build the PromptTemplate."""
    _check_keys(path, "", data, _TEMPLATE_KEYS, optional=set())
    if not _ID_RE.match(data["id"]):
        raise TemplateError(f"{path}: field 'id': {data['id']!r} must match {_ID_RE.pattern}")
    if data["version"] < 1:
        raise TemplateError(f"{path}: field 'version': must be 1 or more, got {data['version']}")
    if data["kind"] not in KINDS:
        raise TemplateError(f"{path}: field 'kind': {data['kind']!r} is not one of {', '.join(KINDS)}")
    if not data["part"]:
        raise TemplateError(f"{path}: field 'part': a template needs at least one [[part]]")
    parts = tuple(_parse_part(path, index, raw, data["kind"]) for index, raw in enumerate(data["part"], 1))
    names = [part.name for part in parts]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise TemplateError(f"{path}: field 'part.name': {duplicate!r} is used by more than one part")
    if not any(part.required for part in parts):
        raise TemplateError(f"{path}: field 'part.required': mark at least one part required = true")
    return PromptTemplate(
        id=data["id"],
        version=data["version"],
        kind=data["kind"],
        description=data["description"],
        negative=data["negative"],
        parts=parts,
    )


def _parse_part(path: Path, index: int, raw: object, kind: str) -> PromptPart:
    """Check one ``[[part]]`` table, including every placeholder in its text."""
    where = f"part {index}"
    if not isinstance(raw, dict):
        raise TemplateError(f"{path}: field '{where}': must be a table ([[part]]), got {type(raw).__name__}")
    _check_keys(path, f"{where}.", raw, _PART_KEYS, optional=_PART_OPTIONAL)
    if not raw["name"].strip() or not raw["text"].strip():
        raise TemplateError(f"{path}: field '{where}.name/text': must not be empty")
    return PromptPart(
        name=raw["name"],
        text=raw["text"],
        priority=raw["priority"],
        required=raw.get("required", False),
        shortenable=raw.get("shortenable", False),
        placeholders=_placeholders(path, f"{where}.text", raw["text"], kind),
    )


def _placeholders(path: Path, where: str, text: str, kind: str) -> tuple[str, ...]:
    """The ``{names}`` in ``text``; anything but plain names allowed for ``kind`` is refused."""
    allowed = ALLOWED_FIELDS[kind]
    try:
        parsed = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError as err:
        raise TemplateError(
            f"{path}: field '{where}': {err} (write literal braces as {{{{ and }}}})"
        ) from None
    names: list[str] = []
    for name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise TemplateError(
                f"{path}: field '{where}': unknown placeholder {{{name}}} for a {kind} template; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        names.append(name)
    return tuple(dict.fromkeys(names))


def _parse_styles(path: Path, data: dict[str, Any]) -> list[StylePreset]:
    """Check each ``[style_id]`` table of styles.toml."""
    if not data:
        raise TemplateError(f"{path}: no styles defined; add at least one [style_id] table")
    presets = []
    for style_id, raw in data.items():
        if not isinstance(raw, dict):
            raise TemplateError(f"{path}: field '{style_id}': must be a table [{style_id}]")
        if not _ID_RE.match(style_id):
            raise TemplateError(f"{path}: field '{style_id}': style ids must match {_ID_RE.pattern}")
        _check_keys(path, f"{style_id}.", raw, _STYLE_KEYS, optional=set())
        presets.append(
            StylePreset(id=style_id, name=raw["name"], prompt=raw["prompt"], negative=raw["negative"])
        )
    return presets


def _check_keys(
    path: Path, prefix: str, table: dict[str, Any], schema: dict[str, type], *, optional: set[str]
) -> None:
    """Refuse unknown keys (typos), missing keys and values of the wrong type (bool is not int here)."""
    for key in table:
        if key not in schema:
            raise TemplateError(f"{path}: field '{prefix}{key}': unknown field; expected {', '.join(schema)}")
    for key, expected in schema.items():
        if key not in table:
            if key in optional:
                continue
            raise TemplateError(f"{path}: field '{prefix}{key}': missing (expected {expected.__name__})")
        value = table[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise TemplateError(
                f"{path}: field '{prefix}{key}': expected {expected.__name__}, got {type(value).__name__}"
            )
