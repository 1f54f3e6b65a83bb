"""C2PA Content Credentials for frames: signed into every frame previs makes, and read back from any image.

A frame's manifest says three things: how it was made (a ``c2pa.actions`` assertion; a plain generation is
``c2pa.created`` of ``trainedAlgorithmicMedia``, a generation over input pictures opens the first as its
parent, places the rest, and is ``c2pa.edited`` into ``compositeWithTrainedAlgorithmicMedia``), the full
generation record (``org.previs.generation``), and that no one may train on, generate from, infer from or
mine it (``cawg.training-mining``: C2PA 2.x moved the old ``c2pa.training-mining`` assertion to the CAWG,
which names the uses ``cawg.ai_training`` and so on).

Cost: the c2pa Context (settings plus signer) is made once per identity and reused. Claim thumbnails are
off: they cost ~80 ms of ~85 ms per signature and the frame itself is the picture. The SDK's per-frame
verify-after-sign is off too (it re-hashes the file, ~1 ms); a one-off self-check per identity replaces it.
What remains is ~2.5 ms for a 512x512 frame.

Reading: ``read_credentials`` maps the failure codes c2pa reports for the active manifest to one state.

    no failure code                         valid      signed, intact, chains to the given trust anchors
    signingCredential.untrusted             untrusted  intact, but the anchors do not vouch for the signer
    signingCredential.expired / .revoked /  untrusted  intact, but the certificate is unusable; without a
      .invalid / .ocsp.revoked                         timestamp authority an expired leaf lands here
    assertion.dataHash.mismatch             invalid    the picture (or any byte outside the manifest) changed
    anything else (assertion.hashedURI.     invalid    the manifest itself is damaged or inconsistent;
      mismatch, claimSignature.mismatch...)            unknown codes fail closed
    manifest present but unparseable        invalid    (c2pa raises; the message is kept in ``error``)
    no manifest                             absent
    only a link to a remote manifest        absent     never fetched: previs reads offline (see ``error``)
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import c2pa
from PIL import Image

from previs.errors import InvalidRequest, ProvenanceError
from previs.media.imaging import canonical_json, encode_png
from previs.provenance.identity import SigningIdentity
from previs.version import __version__

_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = _SOURCE_TYPES + "trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = _SOURCE_TYPES + "compositeWithTrainedAlgorithmicMedia"
RECORD_LABEL = "org.previs.generation"
TRAINING_MINING_LABEL = "cawg.training-mining"
LOG_INCLUSION_LABEL = "previs.log-inclusion"  # an export's RFC 9162 inclusion proof of its frame's log leaf
TRAINING_MINING_USES = (
    "cawg.ai_training", "cawg.ai_generative_training", "cawg.ai_inference", "cawg.data_mining"
)

SIGNABLE_TYPES = ("image/png", "image/jpeg")
READABLE_TYPES = ("image/png", "image/jpeg", "image/webp")
# Failure codes that leave the signed content intact and only disqualify the certificate.
CREDENTIAL_FAILURES = frozenset({
    "signingCredential.untrusted",
    "signingCredential.expired",
    "signingCredential.revoked",
    "signingCredential.invalid",
    "signingCredential.ocsp.revoked",
})
_OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}
_PROBE_PNG = encode_png(Image.new("RGB", (1, 1)))

CredentialState = Literal["valid", "untrusted", "invalid", "absent"]


@dataclass(frozen=True)
class Ingredient:
    """An input picture a frame was generated over (the first one given is the frame's parent)."""

    data: bytes = field(repr=False)
    mime_type: str
    title: str


@dataclass(frozen=True)
class Action:
    name: str  # c2pa.created, c2pa.opened, c2pa.placed, c2pa.edited, ...
    digital_source_type: str | None


@dataclass(frozen=True)
class CredentialsReport:
    """What the active manifest of an image says, and whether it can be believed (see the module table)."""

    state: CredentialState
    signer_common_name: str | None = None
    signer_issuer: str | None = None
    record: dict[str, Any] | None = None
    actions: tuple[Action, ...] = ()
    ingredient_titles: tuple[str, ...] = ()
    failure_codes: tuple[str, ...] = ()  # decide the state
    status_codes: tuple[str, ...] = ()  # every code c2pa reported: success, informational, failure
    error: str | None = None  # why c2pa could not read the manifest at all
    log_inclusion: dict[str, Any] | None = None  # an export's ``previs.log-inclusion`` claim, as signed

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for API responses and ``--json`` output."""
        return {
            "state": self.state,
            "signer_common_name": self.signer_common_name,
            "signer_issuer": self.signer_issuer,
            "record": self.record,
            "actions": [{"action": a.name, "digitalSourceType": a.digital_source_type} for a in self.actions],
            "ingredient_titles": list(self.ingredient_titles),
            "failure_codes": list(self.failure_codes),
            "status_codes": list(self.status_codes),
            "error": self.error,
            "log_inclusion": self.log_inclusion,
        }


def sign_image(
    data: bytes,
    mime_type: str,
    *,
    record: Mapping[str, Any],
    identity: SigningIdentity,
    title: str,
    ingredients: Sequence[Ingredient] = (),
    soft_binding: Mapping[str, Any] | None = None,
    transcoded: bool = False,
    log_inclusion: Mapping[str, Any] | None = None,
) -> bytes:
    """Return ``data`` (PNG or JPEG) with a signed manifest embedded; the pixels are untouched.

    ``soft_binding`` is a ``c2pa.soft-binding`` assertion (``previs.provenance.soft_binding.assertion``);
    ``transcoded`` says the picture is the first ingredient re-encoded (``c2pa.opened`` then ``c2pa.transcoded``),
    not a generation over it. ``log_inclusion`` is an export's proof that its frame is in the studio's log
    (``previs.log-inclusion``, kept as JSON text like the record)."""
    _require_type("mime_type", mime_type, SIGNABLE_TYPES)
    for ingredient in ingredients:
        _require_type(f"ingredient {ingredient.title!r}", ingredient.mime_type, READABLE_TYPES)
    manifest = _manifest(_plain_json(record), title, len(ingredients), transcoded=transcoded)
    if soft_binding is not None:
        manifest["assertions"].append(dict(soft_binding))
    if log_inclusion is not None:
        manifest["assertions"].append({"label": LOG_INCLUSION_LABEL,
                                       "data": {"inclusion_json": canonical_json(dict(log_inclusion))}})
    try:
        return _embed(_signing_context(identity), manifest, mime_type, data, ingredients)
    except c2pa.C2paError as error:
        raise ProvenanceError(f"could not sign {title!r} as {identity.display_name}: {error}") from error


def export_copy(
    png_bytes: bytes, image_format: str, *, record: Mapping[str, Any], identity: SigningIdentity, title: str,
    log_inclusion: Mapping[str, Any] | None = None, quality: int = 92,
) -> bytes:
    """Re-encode a frame (``png`` or ``jpeg``) and sign the copy, so an exported copy carries its credentials.

    The copy's manifest is derived: the frame's signed PNG is its ``parentOf`` ingredient (its manifest travels
    inside the copy's store), the actions are ``c2pa.opened`` and ``c2pa.transcoded``, and the record is the
    frame's. A PNG copy keeps the frame's pixels (it verifies by them); a JPEG's differ, so it needs its own
    ledger entry to verify as ``verified``.
    """
    if not 1 <= quality <= 95:
        raise InvalidRequest(f"JPEG quality must be between 1 and 95, got {quality}")
    try:
        with Image.open(io.BytesIO(png_bytes)) as image:
            if image_format == "png":
                data, mime_type = encode_png(image, record), "image/png"
            else:
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="JPEG", quality=quality)
                data, mime_type = buffer.getvalue(), "image/jpeg"
    except OSError as error:
        raise InvalidRequest(f"the frame to export is not a readable image: {error}") from error
    return sign_image(data, mime_type, record=record, identity=identity, title=title,
                      ingredients=[Ingredient(png_bytes, "image/png", "the frame as stored (PNG)")], transcoded=True,
                      log_inclusion=log_inclusion)


def export_jpeg(png_bytes: bytes, *, record: Mapping[str, Any], identity: SigningIdentity, title: str,
                quality: int = 92) -> bytes:
    """``export_copy`` as JPEG, without a log proof (for callers outside a studio)."""
    return export_copy(png_bytes, "jpeg", record=record, identity=identity, title=title, quality=quality)


def read_credentials(data: bytes, mime_type: str, *, trust_anchors_pem: bytes | None) -> CredentialsReport:
    """Read and validate the manifest embedded in ``data``, trusting only ``trust_anchors_pem``.

    The anchors replace c2pa's own trust list, so "valid" means "signed by a certificate these anchors vouch
    for". None keeps c2pa's default trust settings.
    """
    _require_type("mime_type", mime_type, READABLE_TYPES)
    try:
        with c2pa.Reader(mime_type, io.BytesIO(data), context=_reading_context(trust_anchors_pem)) as reader:
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return CredentialsReport(state="absent")
    except c2pa.C2paError as error:
        # c2pa-python 0.38 raises a plain C2paError("Remote: must fetch remote manifests ...") here.
        remote = isinstance(error, c2pa.C2paError.RemoteManifest) or str(error).startswith("Remote:")
        return CredentialsReport(state="absent" if remote else "invalid", error=str(error))
    return _report(store)


def _manifest(record: dict[str, Any], title: str, ingredient_count: int, *, transcoded: bool = False
              ) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "previs", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": _actions(ingredient_count, transcoded)}},
            # As JSON text: c2pa's reader turns arrays of small integers (seeds, grant ids) into base64 bytes
            {"label": RECORD_LABEL, "data": {"record_json": canonical_json(record)}},
            {"label": TRAINING_MINING_LABEL,
             "data": {"entries": {use: {"use": "notAllowed"} for use in TRAINING_MINING_USES}}},
        ],
    }


def _embed(
    context: c2pa.Context,
    manifest: dict[str, Any],
    mime_type: str,
    data: bytes,
    ingredients: Sequence[Ingredient],
) -> bytes:
    signed = io.BytesIO()
    with c2pa.Builder(manifest, context=context) as builder:
        for index, ingredient in enumerate(ingredients):
            builder.add_ingredient(
                {"title": ingredient.title, "relationship": "componentOf" if index else "parentOf",
                 "label": _ingredient_label(index)},
                ingredient.mime_type,
                io.BytesIO(ingredient.data),
            )
        builder.sign(mime_type, io.BytesIO(data), signed)
    return signed.getvalue()


def _actions(ingredient_count: int, transcoded: bool) -> list[dict[str, Any]]:
    agent = {"name": "previs", "version": __version__}
    if transcoded:  # an export: the frame's PNG, opened and re-encoded; nothing generated or edited
        return [{"action": "c2pa.opened", "parameters": {"ingredientIds": [_ingredient_label(0)]}},
                {"action": "c2pa.transcoded", "softwareAgent": agent}]
    if not ingredient_count:
        return [
            {"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": agent}
        ]
    return [
        {"action": "c2pa.opened", "parameters": {"ingredientIds": [_ingredient_label(0)]}},
        *({"action": "c2pa.placed", "parameters": {"ingredientIds": [_ingredient_label(index)]}}
          for index in range(1, ingredient_count)),
        {"action": "c2pa.edited", "digitalSourceType": COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
         "softwareAgent": agent},
    ]


def _ingredient_label(index: int) -> str:
    return f"previs-input-{index}"


def _report(store: Mapping[str, Any]) -> CredentialsReport:
    manifest = store.get("manifests", {}).get(store.get("active_manifest"))
    if manifest is None:
        return CredentialsReport(state="invalid", error="the manifest store has no active manifest")
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = tuple(entry["code"] for entry in results.get("failure", []))
    if not failures:
        state: CredentialState = "valid"
    elif CREDENTIAL_FAILURES.issuperset(failures):
        state = "untrusted"
    else:
        state = "invalid"
    assertions = manifest.get("assertions", [])
    signature = manifest.get("signature_info", {})
    return CredentialsReport(
        state=state,
        signer_common_name=signature.get("common_name"),
        signer_issuer=signature.get("issuer"),
        record=_record(assertions),
        log_inclusion=_json_assertion(assertions, LOG_INCLUSION_LABEL, "inclusion_json"),
        actions=tuple(
            Action(name=action["action"], digital_source_type=action.get("digitalSourceType"))
            for assertion in assertions if assertion["label"].startswith("c2pa.actions")
            for action in assertion["data"].get("actions", [])
        ),
        ingredient_titles=tuple(item.get("title", "") for item in manifest.get("ingredients", [])),
        failure_codes=failures,
        status_codes=tuple(
            entry["code"]
            for kind in ("success", "informational", "failure")
            for entry in results.get(kind, [])
        ),
    )


@functools.lru_cache(maxsize=8)
def _signing_context(identity: SigningIdentity) -> c2pa.Context:
    """Settings and signer for one identity, made once and proven once: per-frame signing then costs ~2.5 ms.

    Instead of c2pa's verify-after-sign on every frame (~1 ms: it re-hashes the whole file), a 1x1 probe is
    signed and read back here, which also proves the chain is trusted by the identity's own anchors: a
    certificate c2pa will not accept fails at the first frame rather than in a verifier's hands.
    """
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(identity.algorithm, identity.chain_pem, identity.private_key_pem, None)
    )
    context = c2pa.Context.from_dict(
        {
            "builder": {"thumbnail": {"enabled": False}},
            # Ingredients signed by this studio are then recorded as trusted in the ingredient assertion.
            "trust": {"trust_anchors": identity.trust_anchors_pem.decode()},
            "verify": {**_OFFLINE, "verify_after_sign": False},
        },
        signer=signer,
    )
    probe = _embed(context, _manifest({}, "previs signer self-check", 0), "image/png", _PROBE_PNG, ())
    report = read_credentials(probe, "image/png", trust_anchors_pem=identity.trust_anchors_pem)
    if report.state != "valid":
        problems = ", ".join(report.failure_codes) or report.error
        raise ProvenanceError(f"c2pa does not accept the certificate of {identity.display_name}: {problems}")
    return context


@functools.lru_cache(maxsize=8)
def _reading_context(trust_anchors_pem: bytes | None) -> c2pa.Context:
    config: dict[str, Any] = {"verify": _OFFLINE}
    if trust_anchors_pem is not None:
        config["trust"] = {"trust_anchors": trust_anchors_pem.decode()}
    try:
        return c2pa.Context.from_dict(config)
    except c2pa.C2paError as error:
        raise ProvenanceError(f"the trust anchors are not usable PEM certificates: {error}") from error


def _record(assertions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return _json_assertion(assertions, RECORD_LABEL, "record_json")


def _json_assertion(assertions: list[dict[str, Any]], label: str, key: str) -> dict[str, Any] | None:
    """An assertion kept as JSON text (c2pa's reader turns arrays of small integers into bytes otherwise)."""
    data = next((a["data"] for a in assertions if a["label"] == label), None)
    if not isinstance(data, dict) or not isinstance(data.get(key), str):
        return None
    try:
        found = json.loads(data[key])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _plain_json(record: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return cast("dict[str, Any]", json.loads(canonical_json(record)))  # canonical JSON of a mapping
    except (TypeError, ValueError) as error:
        raise InvalidRequest(f"the generation record must be JSON-serialisable: {error}") from error


def _require_type(name: str, mime_type: str, allowed: tuple[str, ...]) -> None:
    if mime_type not in allowed:
        raise InvalidRequest(f"{name} must be one of {', '.join(allowed)}, got {mime_type!r}")
