"""The public Python API: what ``previs.__all__`` names, and that every desk acts only for a named actor."""

from __future__ import annotations

import inspect
import types

import previs
from previs import Actor, FrameRecord, FrameRequest, Role, Studio

# Desk methods that act for nobody, and why: the gate's helpers run inside the pipeline's own transaction,
# the expiry sweep is the database's read rule, the date is what grants are judged against, the name index is
# rebuilt on open, and the web server asks which cached file digests are withdrawn (it names no frame or user).
ACTORLESS = {"consent.today", "consent.expire_due", "consent.still_active", "consent.reindex_names",
             "frames.withdrawn_files",
             "frames.input_picture"}  # reads an input of a record the caller was already allowed to read
DESKS = ("frames", "scenes", "fittings", "storyboards", "reviews", "consent", "provenance")


def test_all_names_exactly_the_public_names() -> None:
    public = {name for name, value in vars(previs).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert len(set(previs.__all__)) == len(previs.__all__), "a name listed twice"
    assert public | {"__version__"} == set(previs.__all__)
    for name in previs.__all__:
        assert getattr(previs, name) is not None


def test_every_desk_method_requires_an_actor(studio: Studio) -> None:
    missing = []
    for desk_name in DESKS:
        desk = getattr(studio, desk_name)
        for name, method in inspect.getmembers(desk, inspect.ismethod):
            if name.startswith("_") or f"{desk_name}.{name}" in ACTORLESS:
                continue
            actor = inspect.signature(method).parameters.get("actor")
            if actor is None or actor.kind is not inspect.Parameter.KEYWORD_ONLY or actor.default is not actor.empty:
                missing.append(f"{desk_name}.{name}")
    assert missing == [], f"these desk methods do not require actor=...: {missing}"


def test_a_python_caller_gets_typed_records_through_the_public_names(studio: Studio) -> None:
    artist = Actor("ines", Role.ART_DIRECTOR)
    frame = studio.frames.generate(FrameRequest("a lighthouse at dusk", seed=3, width=64, height=64),
                                   actor=artist)[0]
    assert isinstance(frame.record, FrameRecord) and frame.record.created_by == "ines"
    assert frame.record.generation.seeds == (3,) and frame.record.generation.model.placeholder is True
    assert FrameRecord.from_json(frame.record.to_json()) == frame.record, "the JSON form reads back unchanged"
    assert frame.to_json()["record"] == frame.record.to_json()
