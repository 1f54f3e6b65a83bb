"""The library's one query on SQLite and PostgreSQL: newest first, filters, keyset paging both ways, lineage."""

from __future__ import annotations

import pytest

from previs.access.permissions import Actor, Role
from previs.app.requests import FrameRequest, LibraryFilters
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from tests.test_scene_desk import THREE_SCENES

pytestmark = pytest.mark.both_backends

PRODUCER = Actor("pat", Role.PRODUCER)


def ids(studio: Studio, filters: LibraryFilters, **paging: int) -> list[int]:
    return [frame.id for frame in studio.frames.library(filters, actor=PRODUCER, **paging).frames]


def test_filters_paging_and_lineage(studio: Studio) -> None:
    request = FrameRequest("a quiet harbour", project="Harbour", seed=3, steps=2, width=64, height=64, count=3)
    made = [frame.id for frame in studio.frames.generate(request, actor=studio.local_actor)]
    [variation] = studio.frames.vary(made[0], count=1, strength=0.9, actor=PRODUCER)
    studio.reviews.review(made[1], "approved", actor=PRODUCER)
    harbour = LibraryFilters(project="Harbour")
    assert ids(studio, harbour) == [variation.id, *made[::-1]]
    assert ids(studio, LibraryFilters(project="Harbour", review="approved")) == [made[1]]
    assert ids(studio, LibraryFilters(project="Harbour", created_by="pat")) == [variation.id]
    page = studio.frames.library(harbour, limit=2, actor=PRODUCER)
    assert [f.id for f in page.frames] == [variation.id, made[2]] and page.older and not page.newer
    assert ids(studio, harbour, before=made[2], limit=2) == [made[1], made[0]]
    assert ids(studio, harbour, after=made[0], limit=2) == [made[2], made[1]]
    lineage = studio.frames.lineage(made[0], actor=PRODUCER)
    assert lineage.parent is None and [f.id for f in lineage.variations] == [variation.id]
    parent = studio.frames.lineage(variation.id, actor=PRODUCER).parent
    assert parent is not None and parent.id == made[0]
    with pytest.raises(InvalidRequest, match=r"unknown review status 'done': use one of pending, approved"):
        studio.frames.library(LibraryFilters(review="done"), actor=PRODUCER)


def test_the_scene_and_kind_filters(studio: Studio) -> None:
    admin = studio.local_actor
    studio.scenes.import_script(THREE_SCENES, project="Lighthouse", actor=admin)
    [concept] = studio.frames.generate(FrameRequest("a cliff at dusk", project="Lighthouse", seed=1, steps=1,
                                                    width=64, height=64), actor=admin)
    [board] = studio.frames.generate(FrameRequest(scene="2", kind="storyboard", shot=1, project="Lighthouse",
                                                  steps=1, width=64, height=64), actor=admin)
    assert ids(studio, LibraryFilters(project="Lighthouse", scene="2")) == [board.id]
    assert ids(studio, LibraryFilters(project="Lighthouse", scene="1")) == []
    assert ids(studio, LibraryFilters(kind="set", project="Lighthouse")) == [concept.id]
    assert ids(studio, LibraryFilters(kind="storyboard")) == [board.id]
