"""Prompt templates as data: loading, validation, token-aware rendering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from previs.errors import InvalidRequest, TemplateError
from previs.prompts import (
    ALLOWED_FIELDS,
    PromptLibrary,
    approximate_clip_tokens,
    load_library,
    scene_fields,
)
from previs.scenes import breakdown_shots, parse_description

PROMPTS = Path(__file__).parents[1] / "prompts"
LONG_SCENE = parse_description(
    "A rain-soaked rooftop in Neo Tokyo at night, two detectives argue. "
    + "Neon signs flicker through the downpour while sirens wail far below and drones sweep the alleys. " * 6
)


def words_and_ends(text: str) -> int:
    """An exact, easy-to-reason-about counter: one token per word, plus begin and end."""
    return len(text.split()) + 2


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return load_library(PROMPTS)


# --- Shipped files ---------------------------------------------------------------------------------------


def test_shipped_templates_and_styles_load(library: PromptLibrary) -> None:
    assert [(t.ref, t.kind) for t in library.templates] == [
        ("costume_concept@1", "costume"),
        ("set_concept@1", "set"),
        ("storyboard_frame@1", "storyboard"),
    ]
    assert [s.id for s in library.styles] == [
        "blueprint",
        "concept_art",
        "matte_painting",
        "pencil_storyboard",
        "photoreal_previs",
    ]
    assert library.style("concept_art").name == "Concept art"
    for template in library.templates:
        assert template.negative and template.description
        assert any(part.required for part in template.parts)
        assert {"{style}"} <= {f"{{{name}}}" for part in template.parts for name in part.placeholders}


def test_lookups_name_the_alternatives(library: PromptLibrary) -> None:
    with pytest.raises(InvalidRequest, match=r"template 'set'.*set_concept"):
        library.template("set")
    with pytest.raises(InvalidRequest, match=r"style 'anime'.*concept_art"):
        library.render("set_concept", {"location": "a pier"}, style="anime", count_tokens=words_and_ends)


# --- Validation ------------------------------------------------------------------------------------------

GOOD_TEMPLATE = """\
id = "t"
version = 2
kind = "set"
description = "A test template."
negative = "blurry"

[[part]]
name = "location"
text = "{location}"
priority = 10
required = true
"""


def _library_dir(tmp_path: Path, template: str, styles: str | None = None) -> Path:
    (tmp_path / "t.toml").write_text(template, encoding="utf-8")
    if styles is None:
        shutil.copy(PROMPTS / "styles.toml", tmp_path / "styles.toml")
    else:
        (tmp_path / "styles.toml").write_text(styles, encoding="utf-8")
    return tmp_path


def test_minimal_template_loads(tmp_path: Path) -> None:
    library = load_library(_library_dir(tmp_path, GOOD_TEMPLATE))
    assert library.template("t").ref == "t@2"


@pytest.mark.parametrize(
    ("template", "field", "problem"),
    [
        (GOOD_TEMPLATE.replace("{location}", "{locaton}"), "part 1.text", "unknown placeholder {locaton}"),
        (GOOD_TEMPLATE.replace("{location}", "{garment}"), "part 1.text", "unknown placeholder {garment}"),
        (GOOD_TEMPLATE.replace("{location}", "{location!r}"), "part 1.text", "unknown placeholder"),
        (GOOD_TEMPLATE.replace("{location}", "{location"), "part 1.text", "literal braces"),
        (GOOD_TEMPLATE.replace("version = 2\n", ""), "version", "missing"),
        (GOOD_TEMPLATE.replace("version = 2", 'version = "2"'), "version", "expected int, got str"),
        (GOOD_TEMPLATE.replace("version = 2", "version = 0"), "version", "1 or more"),
        (GOOD_TEMPLATE.replace("priority = 10", "priority = true"), "part 1.priority", "expected int"),
        (GOOD_TEMPLATE.replace('kind = "set"', 'kind = "lighting"'), "kind", "not one of"),
        (GOOD_TEMPLATE.replace('id = "t"', 'id = "Bad Id"'), "id", "must match"),
        (GOOD_TEMPLATE.replace("required = true", "required = false"), "part.required", "at least one"),
        (GOOD_TEMPLATE.replace("required = true", "requird = true"), "part 1.requird", "unknown field"),
        ("colour = 1\n" + GOOD_TEMPLATE, "colour", "unknown field"),
        (GOOD_TEMPLATE + GOOD_TEMPLATE[GOOD_TEMPLATE.index("[[part]]") :], "part.name", "more than one"),
    ],
)
def test_bad_template_names_file_and_field(tmp_path: Path, template: str, field: str, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        load_library(_library_dir(tmp_path, template))
    message = str(caught.value)
    assert "t.toml" in message
    assert f"field '{field}'" in message
    assert problem in message


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.toml: invalid TOML: .*line 2"):
        load_library(_library_dir(tmp_path, 'id = "t"\nversion = \n'))


def test_duplicate_template_ids_are_refused(tmp_path: Path) -> None:
    directory = _library_dir(tmp_path, GOOD_TEMPLATE)
    (directory / "u.toml").write_text(GOOD_TEMPLATE, encoding="utf-8")
    with pytest.raises(
        TemplateError, match=r"u\.toml: field 'id': duplicate template id 't' \(also in .*t\.toml\)"
    ):
        load_library(directory)


@pytest.mark.parametrize(
    ("styles", "field"),
    [
        ('[noir]\nname = "Noir"\nprompt = "film noir"\n', "noir.negative"),
        ('[noir]\nname = "Noir"\nprompt = 3\nnegative = ""\n', "noir.prompt"),
        ('noir = "film noir"\n', "noir"),
    ],
)
def test_bad_styles_name_file_and_field(tmp_path: Path, styles: str, field: str) -> None:
    with pytest.raises(TemplateError, match=rf"styles\.toml: field '{field}'"):
        load_library(_library_dir(tmp_path, GOOD_TEMPLATE, styles))


def test_missing_styles_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(GOOD_TEMPLATE, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"styles\.toml: file missing"):
        load_library(tmp_path)


# --- Rendering -------------------------------------------------------------------------------------------


def test_long_set_concept_fits_clip_and_keeps_the_core(library: PromptLibrary) -> None:
    fields = scene_fields(LONG_SCENE) | {"subject": "the detectives' rooftop", "mood": "tense"}
    prompt = library.render("set_concept", fields, style="concept_art", count_tokens=approximate_clip_tokens)
    assert prompt.token_count == approximate_clip_tokens(prompt.text) <= prompt.token_limit == 77
    assert prompt.text.startswith(
        "production design concept of the detectives' rooftop, exterior rain-soaked rooftop in Neo Tokyo, "
        "night lighting, digital concept art, painterly, cinematic lighting, atmospheric"
    )
    assert "action (shortened)" in prompt.dropped or "action (dropped)" in prompt.dropped
    assert "Neon signs flicker through the downpour while sirens wail" not in prompt.text
    assert prompt.template_ref == "set_concept@1"
    assert prompt.style == "concept_art"
    assert prompt.negative.endswith("deformed architecture, photo, photorealistic")


def test_rendering_is_deterministic(library: PromptLibrary) -> None:
    fields = scene_fields(LONG_SCENE, breakdown_shots(LONG_SCENE)[1])
    renders = {
        library.render(
            "storyboard_frame", fields, style="pencil_storyboard", count_tokens=approximate_clip_tokens
        )
        for _ in range(3)
    }
    assert len(renders) == 1


def test_parts_keep_template_order_and_lower_priorities_go_first(library: PromptLibrary) -> None:
    fields = {
        "subject": "a pier",
        "location": "harbour",
        "time_of_day": "dusk",
        "period": "1920s",
        "palette": "teal and orange",
        "mood": "melancholy",
        "action": "gulls wheel over the empty boats",
    }
    full = library.render("set_concept", fields, count_tokens=words_and_ends, token_limit=200)
    assert full.dropped == ()
    assert full.style is None
    assert full.text == (
        "production design concept of a pier, harbour, dusk lighting, 1920s period, "
        "teal and orange colour palette, melancholy mood, wide establishing view, detailed set dressing, "
        "no actors, gulls wheel over the empty boats"
    )
    tight = library.render("set_concept", fields, count_tokens=words_and_ends, token_limit=22)
    assert tight.text == (
        "production design concept of a pier, harbour, dusk lighting, 1920s period, "
        "teal and orange colour palette, melancholy mood"
    )
    # set framing is not shortenable; two words are left, too few to keep a stub of the action
    assert tight.dropped == ("set framing (dropped)", "action (dropped)")
    assert tight.token_count == 20


def test_shortenable_part_is_cut_at_a_word_boundary(library: PromptLibrary) -> None:
    fields = {"subject": "a pier", "action": "gulls wheel over the empty boats while a bell rings"}
    prompt = library.render("set_concept", fields, count_tokens=words_and_ends, token_limit=22)
    assert prompt.text.endswith("no actors, gulls wheel over the empty boats")
    assert prompt.dropped == ("action (shortened)",)


def test_overlong_core_is_trimmed_and_reported(library: PromptLibrary) -> None:
    fields = {
        "subject": "a vast and sprawling neon market full of stalls, lanterns, steam and noise",
        "location": "Neo Tokyo",
        "time_of_day": "night",
    }
    prompt = library.render(
        "set_concept", fields, style="matte_painting", count_tokens=words_and_ends, token_limit=20
    )
    assert prompt.token_count <= 20
    # both long required parts are capped at seven words; the short ones stay whole
    assert prompt.text == (
        "production design concept of a vast and, Neo Tokyo, night lighting, "
        "matte painting, epic scale, detailed environment, volumetric"
    )
    assert prompt.dropped == ("subject (shortened)", "style (shortened)", "set framing (dropped)")


def test_negative_prompt_is_cut_to_the_window_and_reported(library: PromptLibrary) -> None:
    prompt = library.render(
        "set_concept",
        {"location": "pier"},
        style="matte_painting",
        count_tokens=words_and_ends,
        token_limit=8,
    )
    assert prompt.negative == "people, crowd, text, caption, watermark, signature"
    assert prompt.dropped[-1] == "negative prompt (shortened)"


def test_parts_with_nothing_to_say_are_skipped_silently(library: PromptLibrary) -> None:
    prompt = library.render(
        "costume_concept", {"subject": "Maya", "garment": "trench coat"}, count_tokens=words_and_ends
    )
    assert (
        prompt.text
        == "costume design of Maya, trench coat, full-length figure, front view, neutral background"
    )
    assert prompt.dropped == ()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"locaton": "pier"}, "unknown field 'locaton'"),
        ({"style": "noir"}, "style preset"),
        ({"location": 3}, "must be text"),
    ],
)
def test_bad_fields_are_refused(library: PromptLibrary, fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        library.render("set_concept", fields, count_tokens=words_and_ends)  # type: ignore[arg-type]


def test_token_limit_must_leave_room(library: PromptLibrary) -> None:
    with pytest.raises(InvalidRequest, match="token_limit"):
        library.render("set_concept", {"location": "pier"}, count_tokens=words_and_ends, token_limit=2)


def test_scene_fields_from_scene_and_shot() -> None:
    scene = parse_description("EXT. HARBOUR WAREHOUSE - NIGHT\nRain hammers   the roof.")
    assert scene_fields(scene) == {
        "location": "Harbour Warehouse",
        "interior_exterior": "exterior",
        "time_of_day": "night",
        "action": "Rain hammers the roof.",
    }
    shot = breakdown_shots(scene)[0]
    assert scene_fields(scene, shot) | {} == scene_fields(scene) | {
        "subject": shot.description,
        "shot_size": "extreme wide",
        "camera_angle": "high angle",
    }
    assert set(scene_fields(scene, shot)) <= ALLOWED_FIELDS["storyboard"]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 2),
        ("a cat.", 5),  # a, cat, "." + begin/end
        ("rain-soaked", 6),  # rain, -, soaked (six letters count two)
        ("1985", 6),  # CLIP splits digits
        ("previsualisation", 6),  # 16 letters: four pieces
    ],
)
def test_approximate_clip_tokens(text: str, tokens: int) -> None:
    assert approximate_clip_tokens(text) == tokens
