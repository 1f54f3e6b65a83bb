"""Signed checkpoints of the ledger's Merkle tree, in the C2SP tlog-checkpoint / signed-note text form.

    <origin>
    <tree size>
    <base64 root hash>

    — <key name> <base64(4-byte key ID || signature)>

The signature is ECDSA (signed-note type 0x02, as github.com/transparency-dev/witness implements it: the key ID
is the first four bytes of SHA-256 of the DER SubjectPublicKeyInfo) over the note text, made with the studio's
signing key (``identity.py``). Anyone keeping a checkpoint outside the studio can later ask for a consistency
proof that today's log extends it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from previs.errors import InvalidRequest
from previs.provenance.identity import SigningIdentity

_DASH = "\u2014 "


@dataclass(frozen=True)
class Checkpoint:
    origin: str  # names the log: ``previs/<studio id>``
    size: int
    root: bytes

    def text(self) -> str:
        """The note text that is signed (ends in a newline)."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def _public_key(identity: SigningIdentity) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_private_key(identity.private_key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)  # identity.py accepts only ECDSA keys
    return key.public_key()


def key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()[:4]


def sign(checkpoint: Checkpoint, identity: SigningIdentity) -> str:
    """The signed note, signed by the studio's key under the log's origin as key name."""
    key = serialization.load_pem_private_key(identity.private_key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(checkpoint.text().encode(), ec.ECDSA(hashes.SHA256()))
    blob = base64.b64encode(key_id(key.public_key()) + signature).decode()
    return f"{checkpoint.text()}\n{_DASH}{checkpoint.origin} {blob}\n"


def parse(note: str, identity: SigningIdentity, *, what: str = "the checkpoint") -> Checkpoint:
    """Read a signed checkpoint and check its signature by the studio's key; one line naming what is wrong."""
    text, separator, signatures = note.partition("\n\n")
    lines = text.split("\n")
    if not separator or len(lines) < 3:
        raise InvalidRequest(f"{what} is not a signed checkpoint (origin, size, root, blank line, signature)")
    origin, size_text, root_text = lines[:3]
    try:
        size, root = int(size_text), base64.b64decode(root_text, validate=True)
    except (ValueError, binascii.Error) as error:
        raise InvalidRequest(f"{what} has no valid tree size and base64 root hash") from error
    if size < 0 or len(root) != 32:
        raise InvalidRequest(f"{what} has no valid tree size and 32-byte root hash")
    public_key = _public_key(identity)
    for line in signatures.splitlines():
        name, _, blob = line.removeprefix(_DASH).partition(" ")
        if not line.startswith(_DASH) or name != origin:
            continue
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            continue
        if raw[:4] != key_id(public_key):
            continue
        try:
            public_key.verify(raw[4:], (text + "\n").encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as error:
            raise InvalidRequest(f"{what} carries a forged or damaged signature: its text was changed after "
                                 "signing") from error
        return Checkpoint(origin, size, root)
    raise InvalidRequest(f"{what} is not signed by this studio's key ({identity.display_name}) for the log "
                         f"{origin!r}: a foreign key, or another studio's log")
