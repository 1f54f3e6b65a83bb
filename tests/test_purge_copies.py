"""Purge removes every copy previs made of a withdrawn likeness: frames, the performer photo, variants; what
another frame still needs stays."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from previs.access.permissions import Actor, Role
from previs.app.studio import open_studio
from previs.fitting.request import FittingRequest
from previs.generation.generator import Generator
from previs.settings import Settings
from tests.test_fitting_studio import performer_photo

DESIGNER = Actor("cole", Role.COSTUME_DESIGNER)
PRODUCER = Actor("priya", Role.PRODUCER)

pytestmark = pytest.mark.both_backends  # which inputs other frames still name is a query on the records


def digests(home: Path) -> dict[str, Path]:
    return {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in home.rglob("*")
            if path.is_file() and "models" not in path.relative_to(home).parts}


def test_a_purge_leaves_no_byte_of_the_performer_photo_or_its_fittings(settings: Settings,
                                                                      tiny_generator: Generator) -> None:
    studio = open_studio(dataclasses.replace(settings, consent_policy="purge"), generator=tiny_generator)
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    grant = studio.consent.grant("Ann Lee", project="Ballroom", uses=["costume_fitting"],
                                 description="costume fittings of the ballroom gown, previs only, not for release",
                                 valid_until=date.today() + timedelta(days=5), actor=PRODUCER)
    ann = studio.fittings.fit(FittingRequest("ball gown", photo=performer_photo(), performer="Ann Lee",
                                            region="lower_body", variants=2, seed=1),
                             project="Ballroom", actor=DESIGNER)
    mannequin = studio.fittings.fit(FittingRequest("tailcoat", region="headwear", variants=1, seed=2),
                                   project="Ballroom", actor=DESIGNER)
    ann_frames = [*ann.variants, ann.board]
    ann_inputs = {item["sha256"] for frame in ann_frames for item in frame.record.to_json()["inputs"]}
    mannequin_inputs = {item["sha256"] for frame in (*mannequin.variants, mannequin.board)
                        for item in frame.record.to_json()["inputs"]}
    shared = ann_inputs & mannequin_inputs  # e.g. nothing, or a mask both fittings drew the same
    on_disk = digests(settings.home)
    assert ann_inputs - shared <= set(on_disk), "the fitting's inputs were kept for reproduction"

    studio.consent.revoke(grant.id, reason="performer withdrew consent", actor=PRODUCER)
    left = digests(settings.home)
    assert not {frame.file_sha256 for frame in ann_frames} & set(left), "a withdrawn frame's bytes remain"
    assert not (ann_inputs - shared) & set(left), "an input only the purged frames used remains (the photo)"
    assert mannequin_inputs <= set(left), "inputs another frame still names stay"
    assert all(Path(frame.path).exists() for frame in (*mannequin.variants, mannequin.board))
    studio.close()
