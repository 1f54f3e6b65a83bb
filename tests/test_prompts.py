"""Prompt templates as data: loading, validation, token-aware rendering and what it reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from previs.errors import InvalidRequest, TemplateError
from previs.generation.generator import Generator
from previs.prompts import (
    CLIP_TOKEN_LIMIT,
    CostumeDetails,
    DroppedSegment,
    PromptLibrary,
    approximate_clip_tokens,
    default_prompts_dir,
    load_library,
)
from previs.scenes import Scene, Shot, breakdown_shots, load_screenplay, parse_description

PROMPTS = Path(__file__).parents[1] / "prompts"
HEIST = Path(__file__).parent / "data" / "scripts" / "glass_heist.fountain"
NEON = "Neon signs flicker through the downpour while sirens wail far below and drones sweep the alleys. "
LONG_SCENE = parse_description("A rain-soaked rooftop in Neo Tokyo at night, two detectives argue. " + NEON * 6)


def words_and_ends(text: str) -> int:
    """An exact, easy-to-reason-about counter: one token per word, plus begin and end."""
    return len(text.split()) + 2


@pytest.fixture(scope="module")
def library() -> PromptLibrary:
    return load_library()


@pytest.fixture(scope="module")
def heist() -> tuple[Scene, ...]:
    return load_screenplay(HEIST).scenes


# --- Shipped files ---------------------------------------------------------------------------------------


def test_shipped_prompts_load_from_the_repository(library: PromptLibrary) -> None:
    assert default_prompts_dir() == PROMPTS.resolve()
    assert [(t.ref, t.kind, t.default_style) for t in library.templates] == [
        ("costume_concept@2", "costume", "concept_art"),
        ("set_concept@2", "set", "concept_art"),
        ("storyboard_frame@2", "storyboard", "pencil_storyboard"),
    ]
    assert [s.id for s in library.styles] == [
        "blueprint",
        "concept_art",
        "matte_painting",
        "pencil_storyboard",
        "photoreal_previs",
    ]
    assert all(style.negative for style in library.styles)
    assert "watermark" in library.base_negative
    assert library.style("concept_art").name == "Concept art"


def test_every_shipped_combination_fits_clip_without_losing_anything(
    library: PromptLibrary, heist: tuple[Scene, ...]
) -> None:
    """An ordinary scene needs no dropping in any template and style: the shipped wording is not too long."""
    scene = heist[0]
    requests = {
        "set": {},
        "storyboard": {"shot": breakdown_shots(scene)[3]},
        "costume": {"costume": CostumeDetails("a belted trench coat", "waxed cotton", "charcoal", "1940s", "MAYA")},
    }
    for style in library.styles:
        for kind, inputs in requests.items():
            prompt = library.render(kind, scene=scene, style=style.id, **inputs)
            assert prompt.token_count <= CLIP_TOKEN_LIMIT and prompt.negative_token_count <= CLIP_TOKEN_LIMIT
            assert prompt.dropped == (), (style.id, kind)


def test_lookups_name_the_alternatives(library: PromptLibrary, heist: tuple[Scene, ...]) -> None:
    with pytest.raises(InvalidRequest, match=r"style 'anime' does not exist; choose one of: blueprint, concept_art"):
        library.render("set", scene=heist[0], style="anime")
    with pytest.raises(InvalidRequest, match=r"kind 'lighting' is not one of: set, costume, storyboard"):
        library.render("lighting", scene=heist[0])


# --- Rendering scenes, shots, costumes and descriptions --------------------------------------------------


def test_long_set_concept_fits_keeps_the_core_and_reports_what_was_dropped(library: PromptLibrary) -> None:
    prompt = library.render("set", scene=LONG_SCENE, style="matte_painting")
    assert prompt.token_count == approximate_clip_tokens(prompt.prompt) <= prompt.token_limit == 77
    # the person's words first (the location and time they already say are not repeated), the style after
    assert prompt.prompt.startswith("A rain-soaked rooftop in Neo Tokyo at night, two detectives argue. " + NEON)
    assert prompt.prompt.endswith(", matte painting, epic scale")
    # whole sentences of the action are left out, never half of one, and each one is reported; the template's
    # own phrases and the style's later items give way before the scene's words
    assert prompt.dropped == (*(DroppedSegment("action", NEON.strip()),) * 4,
                              DroppedSegment("style", "detailed environment"),
                              DroppedSegment("style", "volumetric light"),
                              DroppedSegment("kind", "production design of a film set"),
                              DroppedSegment("set framing", "wide establishing view, detailed set dressing"))
    assert prompt.summary == ("To fit the text encoder's 77-token limit, left out: 4 segments of action, "
                              "2 segments of style, kind, set framing.")
    assert (prompt.template, prompt.kind, prompt.style) == ("set_concept@2", "set", "matte_painting")
    assert prompt.negative_prompt == (
        "people, crowd, figures, deformed architecture, warped perspective, cartoon, flat colours, "
        "text, caption, watermark, signature, logo, blurry, lowres, jpeg artifacts"
    )


def test_long_set_concept_fits_the_model_tokenizer(library: PromptLibrary, tiny_generator: Generator) -> None:
    """The counter and limit come from the loaded model, as the studio passes them."""
    count_tokens, limit = tiny_generator.token_counter()
    prompt = library.render("set", scene=LONG_SCENE, count_tokens=count_tokens, token_limit=limit)
    assert limit == 77
    assert prompt.token_count == count_tokens(prompt.prompt) <= 77
    assert prompt.negative_token_count == count_tokens(prompt.negative_prompt) <= 77
    assert prompt.prompt.startswith("A rain-soaked rooftop in Neo Tokyo at night, two detectives argue")
    assert "digital concept art" in prompt.prompt
    # the toy vocabulary spells rare words letter by letter, so some negative terms give way too
    assert {"action", "negative prompt"} <= {segment.part for segment in prompt.dropped}


def test_record_carries_everything_a_frame_needs(library: PromptLibrary) -> None:
    record = library.render("set", scene=LONG_SCENE).to_record()
    assert set(record) == {
        "template",
        "kind",
        "prompt",
        "negative_prompt",
        "style",
        "token_count",
        "negative_token_count",
        "token_limit",
        "dropped",
        "dropped_summary",
    }
    assert record["template"] == "set_concept@2" and record["style"] == "concept_art"
    assert record["dropped"][0] == {"part": "action", "text": NEON.strip(), "shortened": False}
    assert record["dropped_summary"].startswith("To fit the text encoder's 77-token limit")


def test_storyboard_frame_for_a_shot(library: PromptLibrary, heist: tuple[Scene, ...]) -> None:
    shot = breakdown_shots(heist[0])[3]
    prompt = library.render("storyboard", scene=heist[0], shot=shot, count_tokens=words_and_ends, token_limit=200)
    assert prompt.prompt == (
        "storyboard frame, medium close-up shot, over-the-shoulder shot, Over Maya's shoulder onto Dex "
        "(whispering), with Dex, Maya, exterior Harbour Warehouse, night, pencil storyboard sketch, loose graphite "
        "lines, greyscale, rough shading"
    )
    assert prompt.dropped == () and prompt.summary == ""


def test_storyboard_prompts_name_who_is_in_frame_and_say_the_location_once(
        library: PromptLibrary, heist: tuple[Scene, ...]) -> None:
    establishing = breakdown_shots(heist[0])[0]  # "Establishing shot of Harbour Warehouse (exterior, night)"
    prompt = library.render("storyboard", scene=heist[0], shot=establishing, count_tokens=words_and_ends,
                            token_limit=200).prompt
    assert prompt.count("Harbour Warehouse") == 1 and prompt.count("night") == 1
    lone = Shot(1, "A figure waits by the door.", "close-up", "eye level", characters=("DEX",))
    tight = library.render("storyboard", scene=heist[0], shot=lone, count_tokens=words_and_ends, token_limit=30)
    assert "with Dex" in tight.prompt  # who is in frame outranks the scene's style of place


def test_storyboard_drops_cast_names_one_by_one_from_the_end(library: PromptLibrary) -> None:
    scene = Scene("1", "INT. HALL - DAY", "INT", "HALL", "DAY", characters=("ANA", "BO", "CY", "DEE"))
    shot = Shot(2, "Ana waits.", "medium", "eye level", characters=scene.characters)
    full = library.render("storyboard", scene=scene, shot=shot, count_tokens=words_and_ends, token_limit=200)
    limit = words_and_ends(full.prompt) - 2  # two names too many
    prompt = library.render("storyboard", scene=scene, shot=shot, count_tokens=words_and_ends, token_limit=limit)
    assert "Ana waits, with Ana, Bo, interior Hall" in prompt.prompt
    assert prompt.dropped == (DroppedSegment("characters", "Cy"), DroppedSegment("characters", "Dee"))


def test_costume_concept_with_and_without_a_scene(library: PromptLibrary, heist: tuple[Scene, ...]) -> None:
    costume = CostumeDetails("a belted trench coat", fabric="waxed cotton", period="1940s", character="MAYA")
    alone = library.render("costume", costume=costume, style="pencil_storyboard", count_tokens=words_and_ends)
    assert alone.prompt == (
        "costume design of a belted trench coat, made of waxed cotton, 1940s period, pencil storyboard sketch, "
        "loose graphite lines, greyscale, rough shading, full-length figure, plain background, worn by Maya"
    )
    in_scene = library.render("costume", scene=heist[0], costume=costume, count_tokens=words_and_ends)
    assert in_scene.prompt.endswith("worn by Maya, in Harbour Warehouse, night light")


def test_free_text_description_renders_without_a_scene(library: PromptLibrary) -> None:
    prompt = library.render(
        "set", description="A candle-lit wine cellar at midnight.", count_tokens=words_and_ends, token_limit=200
    )
    assert prompt.prompt.startswith("A candle-lit wine cellar at midnight, night lighting, digital concept art")


@pytest.mark.parametrize(
    ("kind", "inputs", "message"),
    [
        ("set", {}, "a set prompt needs a scene or a description"),
        ("storyboard", {"scene": "heist"}, "a storyboard frame needs a shot"),
        ("set", {"scene": "heist", "shot": "shot"}, "a shot only applies to storyboard frames"),
        ("costume", {"scene": "heist"}, "a costume concept needs costume details"),
        ("set", {"scene": "heist", "costume": "costume"}, "costume details only apply to costume concepts"),
        ("set", {"scene": "heist", "description": "A cellar."}, "a scene or a description, not both"),
        ("set", {"description": " "}, "description is empty"),
    ],
)
def test_requests_that_would_ignore_an_input_are_refused(
    library: PromptLibrary, heist: tuple[Scene, ...], kind: str, inputs: dict[str, str], message: str
) -> None:
    values = {"heist": heist[0], "shot": breakdown_shots(heist[0])[0], "costume": CostumeDetails("a coat")}
    with pytest.raises(InvalidRequest, match=message):
        library.render(kind, **{name: values.get(value, value) for name, value in inputs.items()})  # type: ignore[arg-type]


def test_an_edited_shot_is_checked_before_rendering(library: PromptLibrary, heist: tuple[Scene, ...]) -> None:
    shot = breakdown_shots(heist[0])[1]
    shot.angle = "sideways"
    with pytest.raises(InvalidRequest, match="angle 'sideways'"):
        library.render("storyboard", scene=heist[0], shot=shot)


@pytest.mark.parametrize("garment", ["", "  "])
def test_costume_needs_a_garment(garment: str) -> None:
    with pytest.raises(InvalidRequest, match="garment is empty"):
        CostumeDetails(garment)


def test_rendering_is_deterministic(library: PromptLibrary) -> None:
    shot = breakdown_shots(LONG_SCENE)[1]
    renders = {library.render("storyboard", scene=LONG_SCENE, shot=shot, style="blueprint") for _ in range(3)}
    assert len(renders) == 1


def test_token_limit_must_leave_room(library: PromptLibrary) -> None:
    with pytest.raises(InvalidRequest, match="token_limit"):
        library.render("set", scene=LONG_SCENE, count_tokens=words_and_ends, token_limit=2)


# --- The fitting rules, on a small template --------------------------------------------------------------

TEMPLATE = """\
id = "t"
version = 2
kind = "set"
description = "A test template."
negative = "blurry, dark"
default_style = "plain"

[[part]]
name = "location"
text = "{location}"
required = true

[[part]]
name = "style"
text = "{style}"
required = true

[[part]]
name = "framing"
text = "wide view of the whole set"

[[part]]
name = "time of day"
text = "at {time_of_day}"

[[part]]
name = "action"
text = "{action}"
split = "sentences"
"""
STYLES = '[plain]\nname = "Plain"\nprompt = "plain style"\nnegative = "ornate"\n'
NEGATIVE = 'base = "text, watermark"\n'


def _prompt_dir(tmp_path: Path, template: str = TEMPLATE, styles: str = STYLES, negative: str = NEGATIVE) -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.toml").write_text(template, encoding="utf-8")
    (tmp_path / "styles.toml").write_text(styles, encoding="utf-8")
    (tmp_path / "negative.toml").write_text(negative, encoding="utf-8")
    return tmp_path


def _render(tmp_path: Path, limit: int, **fields: str) -> tuple[str, str, tuple[DroppedSegment, ...]]:
    values = {"location": "PIER", "time_of_day": "DUSK", "action": "Gulls wheel. A bell rings out over the bay."}
    scene = Scene("1", "PIER", "", **(values | fields))
    prompt = load_library(_prompt_dir(tmp_path)).render(
        "set", scene=scene, count_tokens=words_and_ends, token_limit=limit
    )
    assert prompt.token_count <= limit and prompt.negative_token_count <= limit
    return prompt.prompt, prompt.negative_prompt, prompt.dropped


def test_parts_keep_template_order_when_everything_fits(tmp_path: Path) -> None:
    assert _render(tmp_path, 22) == (
        "Pier, plain style, wide view of the whole set, at dusk, Gulls wheel. A bell rings out over the bay",
        "blurry, dark, ornate, text, watermark",
        (),
    )


def test_a_part_that_does_not_fit_is_dropped_and_later_shorter_ones_still_fit(tmp_path: Path) -> None:
    prompt, _, dropped = _render(tmp_path, 10)
    assert prompt == "Pier, plain style, at dusk, Gulls wheel"
    assert dropped == (
        DroppedSegment("framing", "wide view of the whole set"),
        DroppedSegment("action", "A bell rings out over the bay."),
    )


def test_a_split_part_ends_at_its_first_segment_that_does_not_fit(tmp_path: Path) -> None:
    action = "A far too long opening sentence that cannot fit in here. Short."
    prompt, _, dropped = _render(tmp_path, 12, action=action)
    assert prompt == "Pier, plain style, wide view of the whole set"  # "Short." would fit, but not out of context
    assert [segment.part for segment in dropped] == ["time of day", "action", "action"]


def test_required_parts_too_long_to_fit_are_trimmed_at_word_boundaries(tmp_path: Path) -> None:
    prompt, _, dropped = _render(tmp_path, 7, location="THE LONG ABANDONED PIER AT THE EDGE OF TOWN")
    assert prompt == "The Long Abandoned, plain style"  # the longest capped; the short style stays whole
    assert dropped[0] == DroppedSegment("location", "Pier At The Edge Of Town", shortened=True)
    assert [segment.part for segment in dropped[1:]] == ["framing", "time of day", "action", "action"]


def test_negative_terms_that_do_not_fit_are_dropped_and_reported(tmp_path: Path) -> None:
    _, negative, dropped = _render(tmp_path, 5)
    assert negative == "blurry, dark, ornate"
    assert dropped[-2:] == (DroppedSegment("negative prompt", "text"), DroppedSegment("negative prompt", "watermark"))


def test_parts_with_nothing_to_say_are_left_out_silently(tmp_path: Path) -> None:
    prompt, _, dropped = _render(tmp_path, 200, time_of_day="", action="")
    assert (prompt, dropped) == ("Pier, plain style, wide view of the whole set", ())


def test_summary_names_parts_counts_and_trimming(tmp_path: Path) -> None:
    scene = Scene("1", "PIER", "", "THE LONG ABANDONED PIER AT THE EDGE OF TOWN", "DUSK", "One. Two.")
    prompt = load_library(_prompt_dir(tmp_path)).render("set", scene=scene, count_tokens=words_and_ends, token_limit=7)
    assert prompt.summary == (
        "To fit the text encoder's 7-token limit, left out: framing, time of day, 2 segments of action, "
        "the end of location."
    )


# --- Validation of the files -----------------------------------------------------------------------------


def test_minimal_template_loads(tmp_path: Path) -> None:
    library = load_library(_prompt_dir(tmp_path))
    assert library.template("set").ref == "t@2"
    assert library.base_negative == "text, watermark"


@pytest.mark.parametrize(
    ("template", "field", "problem"),
    [
        (TEMPLATE.replace("{location}", "{locaton}"), "part 1.text", "unknown placeholder {locaton}"),
        (TEMPLATE.replace("{location}", "{garment}"), "part 1.text", "unknown placeholder {garment} for a set"),
        (TEMPLATE.replace("{location}", "{location!r}"), "part 1.text", "unknown placeholder"),
        (TEMPLATE.replace("{location}", "{location"), "part 1.text", "literal braces"),
        (TEMPLATE.replace("version = 2\n", ""), "version", "missing (expected int)"),
        (TEMPLATE.replace('description = "A test template."\n', ""), "description", "missing"),
        (TEMPLATE.replace("version = 2", 'version = "2"'), "version", "expected int, got str"),
        (TEMPLATE.replace("version = 2", "version = 0"), "version", "1 or more"),
        (TEMPLATE.replace("required = true", "required = 1", 1), "part 1.required", "expected bool, got int"),
        (TEMPLATE.replace('kind = "set"', 'kind = "lighting"'), "kind", "not one of"),
        (TEMPLATE.replace('id = "t"', 'id = "Bad Id"'), "id", "must match"),
        (TEMPLATE.replace('default_style = "plain"', 'default_style = "anime"'), "default_style", "not in styles"),
        (TEMPLATE.replace("required = true", "required = false"), "part.required", "at least one"),
        (TEMPLATE.replace("required = true", "requird = true", 1), "part 1.requird", "unknown field"),
        (TEMPLATE.replace('split = "sentences"', 'split = "words"'), "part 5.split", "not one of sentences, items"),
        (TEMPLATE.replace('text = "{action}"', 'text = "{action} {location}"'), "part 5.split", "exactly one"),
        (TEMPLATE.replace('text = "{style}"', 'text = "in style"'), "part.text", "no part uses {style}"),
        (TEMPLATE.replace('name = "framing"', 'name = "style"'), "part.name", "more than one part"),
        (TEMPLATE.replace('text = "{location}"', 'text = " "'), "part 1.text", "must not be empty"),
        ("colour = 1\n" + TEMPLATE, "colour", "unknown field"),
        (TEMPLATE[: TEMPLATE.index("[[part]]")] + "part = []\n", "part", "at least one [[part]]"),
    ],
)
def test_bad_template_names_file_and_field(tmp_path: Path, template: str, field: str, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        load_library(_prompt_dir(tmp_path, template))
    message = str(caught.value)
    assert f"{tmp_path / 'templates' / 't.toml'}: field '{field}'" in message
    assert problem in message


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.toml: invalid TOML: .*line 2"):
        load_library(_prompt_dir(tmp_path, 'id = "t"\nversion = \n'))


@pytest.mark.parametrize(("other", "field"), [(TEMPLATE, "id"), (TEMPLATE.replace('id = "t"', 'id = "u"'), "kind")])
def test_two_templates_may_not_share_an_id_or_a_kind(tmp_path: Path, other: str, field: str) -> None:
    directory = _prompt_dir(tmp_path)
    (directory / "templates" / "u.toml").write_text(other, encoding="utf-8")
    with pytest.raises(TemplateError, match=rf"u\.toml: field '{field}': .* also the {field} of .*t\.toml"):
        load_library(directory)


@pytest.mark.parametrize(
    ("styles", "field"),
    [
        ('[plain]\nname = "Plain"\nprompt = "plain"\n', "plain.negative"),
        ('[plain]\nname = "Plain"\nprompt = 3\nnegative = ""\n', "plain.prompt"),
        ('plain = "plain style"\n', "plain"),
        ('[Plain]\nname = "P"\nprompt = "p"\nnegative = ""\n', "Plain"),
    ],
)
def test_bad_styles_name_file_and_field(tmp_path: Path, styles: str, field: str) -> None:
    with pytest.raises(TemplateError, match=rf"styles\.toml: field '{field}'"):
        load_library(_prompt_dir(tmp_path, styles=styles))


@pytest.mark.parametrize(("negative", "field"), [("", "base"), ("base = 1\n", "base"), ('bass = ""\n', "bass")])
def test_bad_negative_file_names_file_and_field(tmp_path: Path, negative: str, field: str) -> None:
    with pytest.raises(TemplateError, match=rf"negative\.toml: field '{field}'"):
        load_library(_prompt_dir(tmp_path, negative=negative))


@pytest.mark.parametrize("missing", ["styles.toml", "negative.toml", "templates/t.toml"])
def test_missing_files_are_named(tmp_path: Path, missing: str) -> None:
    directory = _prompt_dir(tmp_path)
    (directory / missing).unlink()
    with pytest.raises(TemplateError, match=missing.split("/")[0]):
        load_library(directory)


def test_missing_kind_is_reported_at_render(tmp_path: Path) -> None:
    library = load_library(_prompt_dir(tmp_path))
    with pytest.raises(TemplateError, match="no template has kind = 'costume'"):
        library.render("costume", costume=CostumeDetails("a coat"))


def test_a_copy_of_the_shipped_folder_loads_the_same(tmp_path: Path, library: PromptLibrary) -> None:
    shutil.copytree(PROMPTS, tmp_path / "prompts")
    copy = load_library(tmp_path / "prompts")
    assert (copy.templates, copy.styles, copy.base_negative) == (
        library.templates,
        library.styles,
        library.base_negative,
    )


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
