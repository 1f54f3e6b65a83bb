"""Soft binding: the ISCC image code (ISO 24138) that links a re-encoded, resized or cropped copy to its frame.

A frame's 64-bit ISCC Content-Code Image is what ``iscc_core.gen_image_code_v0`` computes from the picture
normalised as ISCC says (greyscale, 32x32 bicubic): the signs of the lowest 8x8 DCT coefficients against
their median. It is computed here with one numpy matrix product (~20 µs, where iscc-core's own DCT takes
~2.4 ms) and is bit for bit iscc-core's (``tests/test_soft_binding.py`` checks it against iscc-core). The
code goes into the frame's C2PA manifest as a ``c2pa.soft-binding`` assertion (``alg`` ``io.iscc.v0``, on
C2PA's soft-binding algorithm list) and into the ``soft_bindings`` index.

The plain code survives JPEG re-encodes and resizes within a few bits, but not crops: every percent cut
off each side moves ~4 bits (``benchmarks/soft_binding.py``, docs/provenance.md). So a frame is indexed
under its code and the codes of centre crops of itself (``INDEXED_CROPS``), and a picture is looked up
under its code and the codes of its own centre crops (``QUERY_CROPS``): between them every symmetric crop
up to ~10% per side lies within ~1% of one pairing.

Lookup is by Hamming distance ``<= MATCH_DISTANCE``. The code is split into four 16-bit bands, each an
indexed column; a code within distance d of the query has, by pigeonhole, a band within ``d // 4`` bits of
the query's band, so the query asks for every band value that close (``band_keys``) and the exact distance
is taken on the candidates.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import iscc_core
import numpy as np
from PIL import Image

ALG = "io.iscc.v0"
LABEL = "c2pa.soft-binding"
BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
# Centre crops (per mille cut from each side) a frame is indexed under, and those a picture is looked up under.
INDEXED_CROPS = (0, 30, 60, 90)
QUERY_CROPS = (0, 15)
# The largest Hamming distance that counts as a copy; measured in docs/provenance.md ("Soft binding").
MATCH_DISTANCE = 6
_SIDE = 32
_N = np.arange(_SIDE)
_DCT = np.cos(np.pi / _SIDE * (_N[None, :] + 0.5) * _N[:, None])  # unscaled DCT-II, as iscc-core's alg_dct


@dataclass(frozen=True)
class SoftMatch:
    """The indexed frame nearest to a picture, and how near (bits of 64 that differ)."""

    frame_id: int
    distance: int
    withdrawn: bool  # the frame's consent was withdrawn: a copy of it is no live work of the studio


def image_code(image: Image.Image) -> int:
    """The 64-bit ISCC image code of ``image`` as an integer (first bit most significant)."""
    grey = np.asarray(image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.BICUBIC), dtype=np.float64)
    block = (_DCT @ grey @ _DCT.T)[:8, :8].ravel()
    bits = block > np.median(block)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def iscc(code: int) -> str:
    """The code as an ISCC string (``ISCC:EEA...``), the form other ISCC tools print and compare."""
    unit = iscc_core.encode_component(mtype=iscc_core.MT.CONTENT, stype=iscc_core.ST_CC.IMAGE,
                                      version=iscc_core.VS.V0, bit_length=BITS, digest=code.to_bytes(8, "big"))
    return f"ISCC:{unit}"


def crop_codes(image: Image.Image, crops: Sequence[int]) -> list[tuple[int, int]]:
    """(crop, code) for each centre crop of ``image`` (per mille cut from each side)."""
    codes = []
    for crop in crops:
        dx, dy = round(image.width * crop / 1000), round(image.height * crop / 1000)
        part = image if crop == 0 else image.crop((dx, dy, image.width - dx, image.height - dy))
        codes.append((crop, image_code(part)))
    return codes


def assertion(code: int) -> dict[str, Any]:
    """The ``c2pa.soft-binding`` assertion (C2PA 2.x: ``alg``, ``blocks`` of scope and value, ``pad``)."""
    return {"label": LABEL, "data": {"alg": ALG, "blocks": [{"scope": {}, "value": iscc(code)}], "pad": [],
                                     "name": "ISCC Content-Code Image of the whole picture"}}


def bands(code: int) -> tuple[int, ...]:
    """The four 16-bit bands of a code, most significant first (the indexed columns)."""
    mask = (1 << BAND_BITS) - 1
    return tuple((code >> (BAND_BITS * (BANDS - 1 - index))) & mask for index in range(BANDS))


def joined(band_values: Sequence[int]) -> int:
    """The code whose bands these are."""
    code = 0
    for value in band_values:
        code = (code << BAND_BITS) | value
    return code


def band_keys(codes: Sequence[int], distance: int = MATCH_DISTANCE) -> list[set[int]]:
    """For each band, every value within ``distance // 4`` bits of a query's band: any code within ``distance``
    of a query has at least one band among these (pigeonhole over four bands)."""
    flips = _flips(distance // BANDS)
    keys: list[set[int]] = [set() for _ in range(BANDS)]
    for code in codes:
        for index, value in enumerate(bands(code)):
            keys[index].update(value ^ flip for flip in flips)
    return keys


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


@functools.cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every 16-bit mask with at most ``radius`` bits set."""
    return tuple(sum(1 << bit for bit in bits)
                 for count in range(radius + 1) for bits in itertools.combinations(range(BAND_BITS), count))


def nearest(codes: Sequence[int], candidates: Sequence[tuple[int, int, bool]]) -> SoftMatch | None:
    """The candidate (frame id, code, withdrawn) nearest to any of a picture's ``codes`` within
    ``MATCH_DISTANCE``; ties go to the oldest frame."""
    best: SoftMatch | None = None
    for frame_id, code, withdrawn in candidates:
        distance = min(hamming(code, query) for query in codes)
        if distance <= MATCH_DISTANCE and (best is None or (distance, frame_id) < (best.distance, best.frame_id)):
            best = SoftMatch(frame_id, distance, withdrawn)
    return best
