"""What the text encoders receive: the pipeline's own tokenisation, its cut at 77 tokens, decoded back to text."""

from __future__ import annotations

from types import SimpleNamespace

from previs.consent.canonical import NameText, performer_names
from previs.generation.encoder_text import EncoderTexts
from previs.generation.generator import Generator
from previs.generation.tiny import build_tokenizer

ZOE = performer_names("Zoë Okafor", ("Zoe O",))


def test_the_tiny_models_tokenizer_strips_the_variation_selector(tiny_generator: Generator) -> None:
    pipeline = tiny_generator.load().pipeline
    received = EncoderTexts(pipeline).texts("Zo\ufe0fë Oka\ufe0ffor in a red room")
    assert received == ("zoe okafor in a red room",)  # one encoder; U+FE0F and the accent never reach it
    found = ZOE.mention_in(NameText.of(*received))
    assert found is not None and found.label == "Zoë Okafor"
    assert "##" in pipeline.tokenizer.decode(pipeline.tokenizer("okafor").input_ids)  # its own copy was not fixed


def test_text_past_the_77_token_cut_does_not_reach_the_encoder(tiny_generator: Generator) -> None:
    prompt = "a long corridor, " * 30 + "Zoë Okafor at the end"
    (received,) = EncoderTexts(tiny_generator.load().pipeline).texts(prompt)
    assert len(tiny_generator.load().pipeline.tokenizer(received).input_ids) == 77  # 75 tokens and begin/end
    assert "okafor" not in received and ZOE.mention_in(NameText.of(received)) is None
    assert ZOE.mention_in(NameText.of(prompt)) is not None  # the typed prompt still names her


def test_every_tokenizer_of_a_two_encoder_pipeline_is_read() -> None:
    """SDXL has tokenizer and tokenizer_2, each with its own limit; each encoder's text comes back in order."""
    short = build_tokenizer()
    short.model_max_length = 6
    pipeline = SimpleNamespace(tokenizer=build_tokenizer(), tokenizer_2=short, tokenizer_3=None)
    assert EncoderTexts(pipeline).texts("a stone bridge over a river, Okafor") == (
        "a stone bridge over a river, okafor", "a stone bridge over",
    )
