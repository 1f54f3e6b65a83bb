"""Prompt templates and style presets, loaded from TOML files and checked before anything renders them.

A prompt directory holds ``templates/*.toml`` (one per kind), ``styles.toml`` and ``negative.toml``.
A template file::

    id = "set_concept"            # unique; [a-z][a-z0-9_]*
    version = 1                   # bump when the wording changes: frames record "set_concept@1"
    kind = "set"                  # "set" | "costume" | "storyboard": decides the allowed placeholders
    description = "..."
    negative = "people, crowd"    # the department's negative terms, before the style's and the base ones
    default_style = "concept_art" # used when a request names no style

    [[part]]                      # parts in order of importance, which is also their order in the prompt
    name = "location"             # human-readable; reported when a segment of the part is left out
    text = "{setting} {location}" # placeholders from previs.prompts.PLACEHOLDERS[kind]
    required = true               # optional, default false: never left out
    split = "sentences"           # optional: "sentences" or "items"; the part's one placeholder is cut
                                  # into segments so its first ones can be kept when all do not fit

``styles.toml`` has one table per style: ``[concept_art]`` with ``name`` (display name), ``prompt`` (text for
``{style}``) and ``negative`` (added to the negative prompt). ``negative.toml`` has ``base``: terms added to
every negative prompt. A missing or unknown key, a wrong type, a duplicate id or kind, or an unknown
placeholder is a TemplateError naming the file and the field.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from previs.errors import InvalidRequest, TemplateError
from previs.prompts.fields import KINDS, PLACEHOLDERS, STYLE_FIELD, CostumeDetails, request_fields
from previs.prompts.model import SPLITS, PromptPart, PromptTemplate, RenderedPrompt, StylePreset
from previs.prompts.render import render
from previs.prompts.tokens import CLIP_TOKEN_LIMIT, TokenCounter, approximate_clip_tokens
from previs.scenes import Scene, Shot, parse_description

TEMPLATES_DIR = "templates"
STYLES_FILE = "styles.toml"
NEGATIVE_FILE = "negative.toml"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_KEYS: dict[str, type] = {
    "id": str,
    "version": int,
    "kind": str,
    "description": str,
    "negative": str,
    "default_style": str,
    "part": list,
}
_PART_KEYS: dict[str, type] = {"name": str, "text": str, "required": bool, "split": str}
_PART_OPTIONAL = {"required", "split"}
_STYLE_KEYS: dict[str, type] = {"name": str, "prompt": str, "negative": str}
_NEGATIVE_KEYS: dict[str, type] = {"base": str}


@dataclass(frozen=True)
class PromptLibrary:
    """All templates and styles of a prompt directory, sorted by id, and the base negative terms."""

    directory: Path
    templates: tuple[PromptTemplate, ...]
    styles: tuple[StylePreset, ...]
    base_negative: str

    def template(self, kind: str) -> PromptTemplate:
        """The template for ``kind`` ("set", "costume", "storyboard")."""
        if kind not in KINDS:
            raise InvalidRequest(f"kind {kind!r} is not one of: {', '.join(KINDS)}")
        for template in self.templates:
            if template.kind == kind:
                return template
        raise TemplateError(f"{self.directory / TEMPLATES_DIR}: no template has kind = {kind!r}; add one")

    def style(self, style_id: str) -> StylePreset:
        """The style preset ``style_id`` (e.g. "concept_art"); InvalidRequest listing known ones otherwise."""
        for preset in self.styles:
            if preset.id == style_id:
                return preset
        raise InvalidRequest(
            f"style {style_id!r} does not exist; choose one of: {', '.join(p.id for p in self.styles)}"
        )

    def render(
        self,
        kind: str,
        *,
        scene: Scene | None = None,
        description: str | None = None,
        shot: Shot | None = None,
        costume: CostumeDetails | None = None,
        style: str | None = None,
        count_tokens: TokenCounter = approximate_clip_tokens,
        token_limit: int = CLIP_TOKEN_LIMIT,
    ) -> RenderedPrompt:
        """Render the ``kind`` template for a scene (or a free-text ``description`` of one) so it fits the encoder.

        A storyboard frame needs ``shot``, a costume concept ``costume`` (its scene is optional). ``style``
        defaults to the template's ``default_style``. ``count_tokens(text)`` must count as the encoder does,
        begin and end tokens included, e.g. the first item of ``Generator.token_counter()``, whose second
        item is the ``token_limit`` (77 for CLIP). See ``previs.prompts.render`` for what is left out.
        """
        if scene is not None and description is not None:
            raise InvalidRequest("give a scene or a description, not both")
        if description is not None:
            scene = parse_description(description)
        template = self.template(kind)
        preset = self.style(style if style is not None else template.default_style)
        values = request_fields(kind, scene, shot, costume, preset.prompt)
        return render(template, values, preset, self.base_negative, count_tokens, token_limit)


def default_prompts_dir() -> Path:
    """Where the shipped prompts are: an installed wheel's packaged copy, else the repository's ``prompts/``.

    The packaged copy (``previs/prompts/data``) exists only in a wheel built to include it; in a checkout
    or editable install the repository root (the folder with pyproject.toml) holds ``prompts/``.
    """
    packaged = Path(__file__).resolve().parent / "data"
    root = Path(__file__).resolve().parents[2]
    if packaged.is_dir():
        return packaged
    if (root / "pyproject.toml").is_file() and (root / "prompts").is_dir():
        return root / "prompts"
    raise TemplateError(
        f"no prompt directory: looked for {packaged} and {root / 'prompts'}; pass load_library a directory"
    )


def load_library(directory: Path | None = None) -> PromptLibrary:
    """Load and validate every template, style and the base negative of ``directory`` (default: shipped)."""
    directory = default_prompts_dir() if directory is None else Path(directory)
    if not directory.is_dir():
        raise TemplateError(f"{directory}: prompt directory not found")
    styles_path, negative_path = directory / STYLES_FILE, directory / NEGATIVE_FILE
    for required in (styles_path, negative_path):
        if not required.is_file():
            raise TemplateError(f"{required}: file missing; see previs.prompts.library for what it holds")
    styles = {preset.id: preset for preset in _parse_styles(styles_path, _read_toml(styles_path))}
    base = _read_toml(negative_path)
    _check_keys(negative_path, "", base, _NEGATIVE_KEYS, optional=set())
    templates = _load_templates(directory / TEMPLATES_DIR, styles)
    return PromptLibrary(
        directory=directory,
        templates=tuple(sorted(templates, key=lambda template: template.id)),
        styles=tuple(styles[key] for key in sorted(styles)),
        base_negative=base["base"],
    )


def _load_templates(folder: Path, styles: dict[str, StylePreset]) -> list[PromptTemplate]:
    """Parse every template file, refusing a second template with the same id or kind."""
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise TemplateError(f"{folder}: no template files (*.toml)")
    seen: dict[tuple[str, str], Path] = {}  # (field, value) -> the file that has it
    templates = []
    for path in paths:
        template = _parse_template(path, _read_toml(path), styles)
        for field, value in (("id", template.id), ("kind", template.kind)):
            if (field, value) in seen:
                raise TemplateError(
                    f"{path}: field '{field}': {value!r} is also the {field} of {seen[(field, value)]}; "
                    "each template needs its own"
                )
            seen[(field, value)] = path
        templates.append(template)
    return templates


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise TemplateError(f"{path}: invalid TOML: {err}") from None


def _parse_template(path: Path, data: dict[str, Any], styles: dict[str, StylePreset]) -> PromptTemplate:
    """Check a template table field by field and build the PromptTemplate."""
    _check_keys(path, "", data, _TEMPLATE_KEYS, optional=set())
    if not _ID_RE.match(data["id"]):
        raise TemplateError(f"{path}: field 'id': {data['id']!r} must match {_ID_RE.pattern}")
    if data["version"] < 1:
        raise TemplateError(f"{path}: field 'version': must be 1 or more, got {data['version']}")
    if data["kind"] not in KINDS:
        raise TemplateError(f"{path}: field 'kind': {data['kind']!r} is not one of {', '.join(KINDS)}")
    if data["default_style"] not in styles:
        raise TemplateError(
            f"{path}: field 'default_style': {data['default_style']!r} is not in {STYLES_FILE}; "
            f"known: {', '.join(sorted(styles))}"
        )
    if not data["part"]:
        raise TemplateError(f"{path}: field 'part': a template needs at least one [[part]]")
    parts = tuple(_parse_part(path, index, raw, data["kind"]) for index, raw in enumerate(data["part"], 1))
    names = [part.name for part in parts]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise TemplateError(f"{path}: field 'part.name': {duplicate!r} is used by more than one part")
    if not any(part.required for part in parts):
        raise TemplateError(f"{path}: field 'part.required': mark at least one part required = true")
    if not any(STYLE_FIELD in part.placeholders for part in parts):
        raise TemplateError(f"{path}: field 'part.text': no part uses {{{STYLE_FIELD}}}, so styles would be ignored")
    return PromptTemplate(
        id=data["id"],
        version=data["version"],
        kind=data["kind"],
        description=data["description"],
        negative=data["negative"],
        default_style=data["default_style"],
        parts=parts,
    )


def _parse_part(path: Path, index: int, raw: object, kind: str) -> PromptPart:
    """Check one ``[[part]]`` table, including every placeholder in its text."""
    where = f"part {index}"
    if not isinstance(raw, dict):
        raise TemplateError(f"{path}: field '{where}': must be a table ([[part]]), got {type(raw).__name__}")
    _check_keys(path, f"{where}.", raw, _PART_KEYS, optional=_PART_OPTIONAL)
    for key in ("name", "text"):
        if not raw[key].strip():
            raise TemplateError(f"{path}: field '{where}.{key}': must not be empty")
    placeholders = _placeholders(path, f"{where}.text", raw["text"], kind)
    split = raw.get("split", "")
    if split and split not in SPLITS:
        raise TemplateError(f"{path}: field '{where}.split': {split!r} is not one of {', '.join(SPLITS)}")
    if split and len(placeholders) != 1:
        raise TemplateError(f"{path}: field '{where}.split': a split part must use exactly one placeholder")
    return PromptPart(
        name=raw["name"],
        text=raw["text"],
        required=raw.get("required", False),
        split=split,
        placeholders=placeholders,
    )


def _placeholders(path: Path, where: str, text: str, kind: str) -> tuple[str, ...]:
    """The ``{names}`` in ``text``; anything but plain names allowed for ``kind`` is refused."""
    allowed = PLACEHOLDERS[kind]
    try:
        parsed = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError as err:
        raise TemplateError(f"{path}: field '{where}': {err} (write literal braces as {{{{ and }}}})") from None
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
        presets.append(StylePreset(id=style_id, name=raw["name"], prompt=raw["prompt"], negative=raw["negative"]))
    return presets


def _check_keys(path: Path, prefix: str, table: dict[str, Any], schema: dict[str, type], *, optional: set[str]) -> None:
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
