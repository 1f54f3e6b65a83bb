"""Costume fittings through the facade: the mask is respected, performer photos need consent, boards verify."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from previs.access.permissions import Actor, Role
from previs.app.studio import Studio
from previs.errors import ConsentRefused, InvalidRequest, PermissionDenied
from previs.fitting.figures import load_figure, region_mask
from previs.fitting.request import FittingRequest
from previs.generation.limits import INPAINT_BLEND_RADIUS
from tests.test_cli import in_process

DESIGNER = Actor("cole", Role.COSTUME_DESIGNER)
PRODUCER = Actor("priya", Role.PRODUCER)


def performer_photo() -> Image.Image:
    """A small stand-in photo: a person-shaped silhouette on a wall (sides multiples of 8, fast to paint)."""
    photo = Image.new("RGB", (128, 192), (200, 190, 170))
    draw = ImageDraw.Draw(photo)
    draw.ellipse((52, 8, 76, 36), fill=(150, 110, 90))
    draw.rectangle((44, 38, 84, 120), fill=(60, 60, 120))
    draw.rectangle((48, 120, 80, 184), fill=(40, 40, 40))
    return photo


def test_a_fitting_paints_only_inside_the_mask_and_stores_variants_and_board(studio: Studio) -> None:
    result = studio.fittings.fit(FittingRequest("tailcoat", fabric="velvet", region="headwear", variants=2, seed=3),
                                project="Ballroom", actor=DESIGNER)
    figure = load_figure("front")
    grown = np.asarray(region_mask(figure, "headwear").filter(
        ImageFilter.MaxFilter(2 * INPAINT_BLEND_RADIUS + 1))) > 0
    original = np.asarray(figure.image)
    for variant in result.variants:
        with Image.open(variant.path) as opened:
            painted = np.asarray(opened.convert("RGB"))
        assert (painted[~grown] == original[~grown]).all(), "pixels outside the mask must not change"
        assert (painted[grown] != original[grown]).any(), "the masked area should be painted"
    assert [variant.seed for variant in result.variants] == [3, 4]
    assert result.board.width > 2 * figure.image.width and result.board.record.to_json()["composed"] is True
    assert result.variants[0].record.to_json()["fitting"]["region"] == "headwear"
    assert result.variants[0].record.to_json()["prompt_template"]["template"].startswith("costume_concept@")
    for frame in (*result.variants, result.board):
        assert studio.provenance.verify(Path(frame.path).read_bytes(), actor=studio.local_actor).status == "verified"
    board_credentials = studio.provenance.verify(Path(result.board.path).read_bytes(),
                                                 actor=studio.local_actor).credentials
    assert board_credentials.ingredient_titles == ("Mannequin, front", "variant 1", "variant 2")
    with pytest.raises(InvalidRequest, match="composed board"):
        studio.frames.reproduce(result.board.id, actor=studio.local_actor)
    assert studio.frames.reproduce(result.variants[1].id, actor=studio.local_actor).identical


def test_a_performer_photo_without_a_costume_fitting_grant_is_refused_before_the_model_runs(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    studio.consent.grant("Ann Lee", project="Ballroom", uses=["likeness_reference"],
                         description="set concepts of the ballroom scene for internal review only",
                         valid_until=date.today() + timedelta(days=5), actor=PRODUCER)
    monkeypatch.setattr(studio.models.generator, "generate", lambda *_: pytest.fail("the model ran without consent"))
    request = FittingRequest("ball gown", photo=performer_photo(), performer="Ann Lee", variants=1)
    with pytest.raises(ConsentRefused, match=r"Ann Lee .*costume_fitting"):
        studio.fittings.fit(request, project="Ballroom", actor=DESIGNER)
    assert not (studio.data_directory / "inputs").exists(), "the photo must not be kept without consent"
    assert studio.consent.audit(actor=PRODUCER)[-1].kind == "generation_refused"


def test_with_the_grant_the_photo_fitting_succeeds_and_records_it(studio: Studio) -> None:
    studio.consent.add_performer("Ann Lee", actor=PRODUCER)
    grant = studio.consent.grant("Ann Lee", project="Ballroom", uses=["costume_fitting"],
                                 description="costume fittings of the ballroom gown, previs only, not for release",
                                 valid_until=date.today() + timedelta(days=5), actor=PRODUCER)
    result = studio.fittings.fit(FittingRequest("ball gown", photo=performer_photo(), performer="Ann Lee",
                                               region="lower_body", variants=1, seed=1),
                                project="Ballroom", actor=DESIGNER)
    for frame in (*result.variants, result.board):
        assert frame.record.to_json()["consent_grants"] == [grant.id]
        assert frame.record.to_json()["likeness_uses"][0]["use"] == "costume_fitting"
    assert [item["role"] for item in result.variants[0].record.to_json()["inputs"]] == ["performer_photo", "mask"]
    withdrawal = studio.consent.revoke(grant.id, reason="performer withdrew consent", actor=PRODUCER)
    assert sorted(withdrawal.withdrawn_frame_ids) == sorted([result.board.id, *(v.id for v in result.variants)])


def test_bad_fitting_requests_are_clear_errors(studio: Studio) -> None:
    with pytest.raises(InvalidRequest, match="region"):
        studio.fittings.fit(FittingRequest("cape", region="elbows"), actor=DESIGNER)
    with pytest.raises(InvalidRequest, match="performer"):
        studio.fittings.fit(FittingRequest("cape", photo=performer_photo()), actor=DESIGNER)
    with pytest.raises(PermissionDenied, match="run costume fittings"):
        studio.fittings.fit(FittingRequest("cape"), actor=Actor("art", Role.ART_DIRECTOR))


def test_cli_fit_json_and_bad_uploads(settings, capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = in_process(settings, capsys, monkeypatch, "fit", "--costume", "bowler hat", "--region",
                                "headwear", "--variants", "1", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert {"id", "path", "sha256", "seed"} <= made["board"].keys() and len(made["variants"]) == 1
    not_an_image = tmp_path / "photo.png"
    not_an_image.write_text("this is text pretending to be a photo")
    code, _, err = in_process(settings, capsys, monkeypatch, "fit", "--costume", "cape", "--figure",
                              str(not_an_image), "--performer", "Ann Lee")
    assert code == 1 and "performer photo" in err and err.count("\n") == 1
    small_mask = tmp_path / "mask.png"
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="PNG")
    small_mask.write_bytes(buffer.getvalue())
    code, _, err = in_process(settings, capsys, monkeypatch, "fit", "--costume", "cape", "--mask", str(small_mask))
    assert code == 1 and "512x768" in err
    code, out, _ = in_process(settings, capsys, monkeypatch, "figures", "--json")
    assert [item["name"] for item in json.loads(out)] == ["front", "three_quarter", "back"]
