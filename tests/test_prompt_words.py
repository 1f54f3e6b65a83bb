"""The art director's words reach the model: a description is never what a template drops to fit (#22 item 1)."""

from __future__ import annotations

import re

import pytest

from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.generation.generator import Generator
from previs.prompts import CostumeDetails, load_library
from previs.ui.records import given_to_model

# 25 words each: what a department types, under every style the studio ships. Words the offline model's
# tokenizer knows whole, so they cost what they would cost CLIP (previs-tiny spells unknown words letter by letter).
DESCRIPTION = ("abandoned victorian observatory at dusk, dust and haze in the light, an old iron telescope under "
               "the glass ceiling, books and maps on wooden desk")
GARMENT = ("a long old green wool coat with a high collar, leather belt and gloves, embroidered silk sleeves, "
           "black velvet cape and a grey tweed hat")
ISSUE_EXAMPLE = "abandoned Victorian observatory at dusk, dust in the light shafts, brass telescope"
LIBRARY = load_library()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _assert_kept(words: str, received: str) -> None:
    missing = [word for word in _words(words) if word not in _words(received)]
    assert not missing, f"the model never receives {missing}: {received!r}"


def test_twenty_five_words_have_twenty_five_words() -> None:
    assert len(DESCRIPTION.split()) == 25 and len(GARMENT.split()) == 25


@pytest.mark.parametrize("style", [preset.id for preset in LIBRARY.styles])
def test_a_set_description_keeps_all_its_words_under_every_style(style: str, tiny_generator: Generator) -> None:
    count_tokens, limit = tiny_generator.token_counter()
    rendered = LIBRARY.render("set", description=DESCRIPTION, style=style, count_tokens=count_tokens,
                              token_limit=limit)
    for received in tiny_generator.encoder_texts(rendered.prompt):
        _assert_kept(DESCRIPTION, received)
    issue = LIBRARY.render("set", description=ISSUE_EXAMPLE, style=style, count_tokens=count_tokens,
                           token_limit=limit)
    for received in tiny_generator.encoder_texts(issue.prompt):
        _assert_kept(ISSUE_EXAMPLE, received)
    assert all(segment.part != "action" for segment in rendered.dropped)
    assert _words(rendered.prompt)[:4] == _words(DESCRIPTION)[:4], "the person's words come first"


@pytest.mark.parametrize("style", [preset.id for preset in LIBRARY.styles])
def test_a_garment_keeps_all_its_words_under_every_style(style: str, tiny_generator: Generator) -> None:
    count_tokens, limit = tiny_generator.token_counter()
    rendered = LIBRARY.render("costume", costume=CostumeDetails(GARMENT, fabric="wool", period="1910s"),
                              style=style, count_tokens=count_tokens, token_limit=limit)
    for received in tiny_generator.encoder_texts(rendered.prompt):
        _assert_kept(GARMENT, received)


def test_boilerplate_gives_way_before_the_description() -> None:
    """With a window too small for everything, the template's own phrases are what is left out."""
    rendered = LIBRARY.render("set", description=DESCRIPTION, style="photoreal_previs", token_limit=50)
    _assert_kept(DESCRIPTION, rendered.prompt)
    assert {segment.part for segment in rendered.dropped} >= {"set framing"}
    assert "left out" in rendered.summary


def test_words_the_description_already_says_are_not_repeated() -> None:
    rendered = LIBRARY.render("set", description=DESCRIPTION, style="concept_art", token_limit=200)
    assert rendered.prompt.lower().count("victorian observatory") == 1
    assert ".," not in LIBRARY.render("set", description="A cold cellar. Water drips.").prompt


def test_the_page_shows_what_the_model_was_given_and_what_was_left_out(studio: Studio) -> None:
    long = DESCRIPTION + ". " + " ".join(["Rain and fog over the old stone tower at night."] * 6)
    frame = studio.frames.generate(FrameRequest(prompt=long, kind="set", style="concept_art", seed=1, width=64,
                                                height=64, count=1), actor=studio.local_actor)[0]
    shown = given_to_model(frame)
    assert f"Prompt given to the model: {frame.record.generation.prompt}" in shown
    assert "Left out (77-token limit): Rain and fog over the old stone tower at night." in shown
