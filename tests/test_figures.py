"""Built-in mannequins, their region masks and protected areas; photo estimates; user-drawn masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from previs.errors import InvalidRequest, NotFound
from previs.fitting.figures import (
    CUSTOM_REGION,
    PHOTO_MAX_SIDE,
    PROTECT_MARGIN,
    REGIONS,
    Figure,
    list_figures,
    load_figure,
    mask_figure,
    photo_figure,
    region_mask,
)
from previs.generation.generator import Generator
from previs.generation.limits import INPAINT_BLEND_RADIUS, GenerationRequest
from previs.media import raster

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "figures"


def on(mask: Image.Image) -> np.ndarray:
    return np.asarray(mask) > 0


def rows_of(mask: Image.Image) -> tuple[float, float]:
    """First and last painted row, as fractions of the height."""
    rows = np.flatnonzero(on(mask).any(axis=1))
    return rows[0] / mask.height, rows[-1] / mask.height


@pytest.fixture(scope="module", params=["front", "three_quarter", "back"])
def figure(request: pytest.FixtureRequest) -> Figure:
    return load_figure(request.param)


def test_built_in_figures_are_listed_and_unknown_names_are_refused() -> None:
    assert list_figures() == ["front", "three_quarter", "back"]
    with pytest.raises(NotFound, match="no built-in figure 'side': choose one of front, three_quarter, back"):
        load_figure("side")


def test_committed_figure_files_are_what_the_code_draws(figure: Figure) -> None:
    with Image.open(ASSETS / f"{figure.name}.png") as committed:
        assert committed.mode == "RGB" and committed.size == figure.image.size
        assert committed.tobytes() == figure.image.tobytes(), "run `python -m previs.fitting.figures` to redraw them"


def test_a_figure_is_a_grey_mannequin_on_a_light_neutral_backdrop(figure: Figure) -> None:
    pixels = np.asarray(figure.image).astype(int)
    assert figure.image.size == (512, 768) and figure.image.mode == "RGB"
    body = pixels[on(figure.regions["full_body"]) & (pixels.min(axis=2) < 200)]
    drawn = on(figure.regions["full_body"]) | on(figure.regions["headwear"]) | on(figure.protected)
    backdrop = pixels[~raster.grow(drawn, 20)]
    assert backdrop.min() > 180 and np.ptp(backdrop, axis=1).max() < 12  # light (a faint floor shadow), neutral
    assert len(body) > 30_000 and np.ptp(body, axis=1).max() < 8  # grey, not tinted
    assert len(np.unique(body[:, 0])) > 40  # shaded, so the body's shape reads


def test_masks_are_binary_and_figure_sized(figure: Figure) -> None:
    assert set(figure.regions) == set(REGIONS)
    for mask in [*figure.regions.values(), figure.protected]:
        assert mask.mode == "L" and mask.size == figure.image.size
        assert set(np.unique(np.asarray(mask))) == {0, 255}


def test_regions_sit_where_the_garments_go(figure: Figure) -> None:
    assert rows_of(figure.regions["headwear"])[1] < 0.2
    assert rows_of(figure.regions["footwear"])[0] > 0.85
    upper, lower = rows_of(figure.regions["upper_body"]), rows_of(figure.regions["lower_body"])
    assert 0.15 < upper[0] < 0.25 and 0.3 < lower[0] < 0.45 and lower[1] > 0.85 > upper[1]
    upper_on, lower_on = on(figure.regions["upper_body"]), on(figure.regions["lower_body"])
    # They share only the band from the waist to a top's hem (a shirt tucked in, a jacket over trousers).
    assert (upper_on & lower_on).sum() < 0.2 * min(upper_on.sum(), lower_on.sum())
    full = on(figure.regions["full_body"])
    assert full[upper_on | lower_on].all() and not full[: int(0.1 * full.shape[0])].any()


def test_protected_face_and_hands_are_never_in_a_default_mask(figure: Figure) -> None:
    protected = on(figure.protected)
    no_go = raster.grow(protected, PROTECT_MARGIN)
    for region in REGIONS:
        assert not (on(region_mask(figure, region)) & no_go).any(), region
    # Left to itself the upper body would reach the hands: protection is what keeps them out.
    assert (on(region_mask(figure, "upper_body", protect=False)) & protected).any()


def test_the_face_is_protected_where_it_shows(figure: Figure) -> None:
    face_rows = on(figure.protected)[: int(0.2 * figure.image.height)]
    assert face_rows.any() == (figure.name != "back")
    hand_rows = on(figure.protected)[int(0.5 * figure.image.height) : int(0.65 * figure.image.height)]
    assert hand_rows.any(axis=0).sum() > 30  # both hands, either side of the body


def test_an_unknown_region_is_named() -> None:
    with pytest.raises(InvalidRequest, match="no region 'cape': choose one of full_body, upper_body"):
        region_mask(load_figure("front"), "cape")


def test_a_photo_is_scaled_to_a_working_size_and_its_regions_estimated() -> None:
    photo = Image.new("RGB", (1000, 1500), (90, 80, 70))
    figure = photo_figure(photo)
    assert figure.image.size == (512, 768) and figure.source_size == (1000, 1500)
    assert max(figure.image.size) <= PHOTO_MAX_SIDE and all(side % 8 == 0 for side in figure.image.size)
    face = on(figure.protected)[: int(0.2 * 768)]
    columns = np.flatnonzero(face.any(axis=0))
    assert face.any() and abs((columns[0] + columns[-1]) / 2 - 256) < 8  # the head, centred at the top
    assert rows_of(figure.regions["headwear"])[1] < 0.2 and rows_of(figure.regions["footwear"])[0] > 0.85
    for region in REGIONS:
        assert not (on(region_mask(figure, region)) & on(figure.protected)).any()


def test_a_small_photo_is_not_enlarged() -> None:
    figure = photo_figure(Image.new("RGB", (203, 301), "white"))
    assert figure.image.size == (200, 304) and figure.source_size == (203, 301)


def test_a_drawn_mask_becomes_the_custom_region_with_protection_still_applied() -> None:
    photo = Image.new("RGB", (1000, 1500), "white")
    figure = photo_figure(photo)
    drawn = Image.new("L", photo.size, 0)
    drawn.paste(255, (300, 0, 700, 600))  # head and chest, drawn over the original photo
    masked = mask_figure(figure, drawn)
    assert set(masked.regions) == {*REGIONS, CUSTOM_REGION}
    painted = on(region_mask(masked, CUSTOM_REGION))
    assert painted.any() and not (painted & on(figure.protected)).any()
    assert (on(region_mask(masked, CUSTOM_REGION, protect=False)) & on(figure.protected)).any()


def test_a_drawn_mask_must_fit_the_picture_and_paint_something() -> None:
    figure = load_figure("front")
    with pytest.raises(InvalidRequest, match="the mask is 100x100 but the picture is 512x768"):
        mask_figure(figure, Image.new("L", (100, 100), 255))
    with pytest.raises(InvalidRequest, match="paints nothing"):
        mask_figure(figure, Image.new("L", (512, 768), 0))


def test_a_region_inside_the_protected_areas_only_is_refused() -> None:
    figure = load_figure("front")
    face_only = mask_figure(figure, figure.protected)
    with pytest.raises(InvalidRequest, match="wholly in its protected face and hands"):
        region_mask(face_only, CUSTOM_REGION)


def test_painting_a_figure_changes_only_the_masked_region(tiny_generator: Generator) -> None:
    figure = load_figure("front")
    # Head and shoulders only: the offline model is slow at full size, and this is where the face is.
    box = (192, 48, 320, 240)
    image, mask, face = figure.image.crop(box), region_mask(figure, "upper_body").crop(box), figure.protected.crop(box)
    request = GenerationRequest("red velvet doublet with gold braid", seed=11, steps=2, mode="inpaint",
                                init_image=image, mask_image=mask, strength=1.0)
    painted, original = np.asarray(tiny_generator.generate(request)[0].image), np.asarray(image)
    reach = raster.grow(on(mask), INPAINT_BLEND_RADIUS)
    assert on(face).sum() > 1000 and on(mask).sum() > 3000
    assert (painted[~reach] == original[~reach]).all()
    assert (painted[on(face)] == original[on(face)]).all()
    assert (painted[on(mask)] != original[on(mask)]).any(axis=-1).mean() > 0.5
