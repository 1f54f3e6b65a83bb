"""The studio signing identity: a leaf certificate, its private key, and the trust anchor that vouches for it.

On first use previs makes a two-level PKI in ``directory``: a self-signed studio CA (the trust anchor that
verifiers configure) and an ES256 end-entity leaf issued by it for signing. Only the CA *certificate* is
kept; its key is dropped once the leaf is issued, so a copied folder cannot mint more trusted signers.

Nothing timestamps the signatures (previs never goes online, so there is no timestamp authority), which makes
C2PA readers judge the leaf against today's date: once it expires, every frame it signed reads as
``signingCredential.expired``. Hence the long validity: ten years for the leaf, twenty for the CA.

The local identity is made once, when the studio is first created (``create=True``). Later a missing
``signing/`` is refused: a silently minted CA would make every earlier frame read as ``foreign_signer``.
``replace_local_identity`` is the explicit way to a new one; the old CA (and any it replaced) stay trust
anchors in ``previous-ca.pem``, so frames signed before still verify.

A studio holding a certificate from a real CA passes ``cert_file`` (PEM: leaf first, then any intermediates,
then the self-signed root) and ``key_file``. The root becomes the trust anchor and is left out of the chain
embedded in manifests, as C2PA asks.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from previs.errors import DataDirectoryRefused, InvalidRequest, ProvenanceError

CA_CERT_FILE = "ca.pem"
SIGNER_CERT_FILE = "signer.pem"
SIGNER_KEY_FILE = "signer-key.pem"
PREVIOUS_CA_FILE = "previous-ca.pem"  # CAs of identities this one replaced: still trusted for earlier frames
_LOCK_FILE = ".identity.lock"
DEFAULT_STUDIO = "previs studio"

CA_VALIDITY = dt.timedelta(days=20 * 365)
LEAF_VALIDITY = dt.timedelta(days=10 * 365)
_CLOCK_SKEW = dt.timedelta(minutes=5)
# The C2PA signing algorithm for each elliptic curve a configured key may use.
_ALGORITHM_OF_CURVE = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class SigningIdentity:
    """What signing needs (chain, key, algorithm) and what reports show (name, fingerprint)."""

    chain_pem: bytes  # leaf first, then intermediates; never the root
    private_key_pem: bytes = field(repr=False)
    trust_anchors_pem: bytes  # the root(s) a verifier must trust for this studio's frames
    algorithm: str  # C2PA name: es256, es384 or es512
    display_name: str  # the leaf's subject common name
    fingerprint: str  # SHA-256 of the leaf certificate, colon-separated hex as openssl prints it


def load_or_create_identity(
    directory: Path,
    *,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    studio: str = DEFAULT_STUDIO,
    create: bool = True,
) -> SigningIdentity:
    """Load the studio identity; with ``create``, make the local CA and leaf in ``directory`` if there is none.

    With ``cert_file`` and ``key_file`` the configured chain is used instead and ``directory`` is untouched.
    ``studio`` names the subject of a newly made identity; an existing one keeps the name it was made with.
    Without ``create`` (a studio that already existed) a missing identity is refused with how to restore it.
    """
    if (cert_file is None) != (key_file is None):
        raise InvalidRequest("cert_file and key_file go together: configure both, or neither for a local CA")
    if cert_file is not None and key_file is not None:
        return _configured_identity(cert_file, key_file)
    if not create:
        if not (directory / SIGNER_CERT_FILE).exists():
            raise DataDirectoryRefused(
                f"the studio's signing identity {directory / SIGNER_CERT_FILE} is missing: restore {directory} "
                "from a backup (earlier frames verify only against its CA), set PREVIS_SIGNING_CERT and "
                "PREVIS_SIGNING_KEY, or make a new one explicitly with `previs init --new-signing-identity`",
                remedy="--new-signing-identity",
            )
        return _local_identity(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _exclusive(directory / _LOCK_FILE):
        if not (directory / SIGNER_CERT_FILE).exists():
            _create_local_identity(directory, studio)
    return _local_identity(directory)


def replace_local_identity(directory: Path, set_aside: Path, *, studio: str = DEFAULT_STUDIO) -> SigningIdentity:
    """Make a new local identity in ``directory``, moving the old folder (if any) into ``set_aside``.

    The old CA and those it had replaced become ``previous-ca.pem`` of the new one: still trust anchors, so
    frames signed before the change keep verifying as signed by this studio. The caller holds the studio's lock.
    """
    previous = b""
    if directory.exists():
        previous = b"".join(path.read_bytes() for path in (directory / CA_CERT_FILE, directory / PREVIOUS_CA_FILE)
                            if path.is_file())
        set_aside.mkdir(parents=True, exist_ok=True)
        os.replace(directory, set_aside / directory.name)
    directory.mkdir(mode=0o700, parents=True)
    if previous:
        _write_new(directory / PREVIOUS_CA_FILE, previous, 0o644)
    _create_local_identity(directory, studio)
    return _local_identity(directory)


def _configured_identity(cert_file: Path, key_file: Path) -> SigningIdentity:
    chain = _load_certificates(cert_file)
    root = chain[-1]
    if len(chain) < 2 or root.issuer != root.subject:
        raise ProvenanceError(
            f"{cert_file} must hold the signing certificate first and its CA chain up to the self-signed "
            "root last; the root becomes the trust anchor"
        )
    for child, issuer in itertools.pairwise(chain):
        _check_issued_by(child, issuer, cert_file)
    return _identity(chain[:-1], _load_private_key(key_file), root, cert_file)


def _local_identity(directory: Path) -> SigningIdentity:
    leaf = _load_certificates(directory / SIGNER_CERT_FILE)
    ca = _load_certificates(directory / CA_CERT_FILE)[0]
    _check_issued_by(leaf[0], ca, directory / SIGNER_CERT_FILE)
    identity = _identity(leaf, _load_private_key(directory / SIGNER_KEY_FILE), ca, directory / SIGNER_CERT_FILE)
    previous = directory / PREVIOUS_CA_FILE
    if not previous.is_file():
        return identity
    anchors = b"".join(_pem(cert) for cert in _load_certificates(previous))
    return replace(identity, trust_anchors_pem=identity.trust_anchors_pem + anchors)


def _identity(
    chain: list[x509.Certificate], key: ec.EllipticCurvePrivateKey, root: x509.Certificate, origin: Path
) -> SigningIdentity:
    leaf = chain[0]
    if leaf.public_key() != key.public_key():
        raise ProvenanceError(f"the private key does not belong to the certificate in {origin}")
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return SigningIdentity(
        chain_pem=b"".join(_pem(cert) for cert in chain),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        trust_anchors_pem=_pem(root),
        algorithm=_ALGORITHM_OF_CURVE[key.curve.name],
        display_name=str(names[0].value) if names else leaf.subject.rfc4514_string(),
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def _create_local_identity(directory: Path, studio: str) -> None:
    """Issue a fresh CA and leaf; the leaf certificate is written last, so it marks a complete identity."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{studio} provenance CA", studio)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        _certificate(ca_name, ca_name, ca_key.public_key(), now, CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        _certificate(_name(f"{studio} Content Credentials", studio), ca_name, leaf_key.public_key(), now,
                     LEAF_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        # c2pa-rs 0.91 takes emailProtection by default, rejects documentSigning ("missing required EKU").
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_new(directory / SIGNER_KEY_FILE, key_pem, 0o600)
    _write_new(directory / CA_CERT_FILE, _pem(ca), 0o644)
    _write_new(directory / SIGNER_CERT_FILE, _pem(leaf), 0o644)


def _certificate(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: dt.datetime,
    validity: dt.timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + validity)
    )


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
    ])


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=key_cert_sign,
        encipher_only=False, decipher_only=False,
    )


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` through a new file created with ``mode``, so a key is never readable by others."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Serialise identity creation between processes sharing ``directory``."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ProvenanceError(f"cannot read certificates from {path}: {error}") from error


def _load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ProvenanceError(f"cannot read an unencrypted PEM private key from {path}: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in _ALGORITHM_OF_CURVE:
        raise ProvenanceError(f"{path} must hold an ECDSA key on P-256, P-384 or P-521 (ES256/384/512)")
    return key


def _check_issued_by(child: x509.Certificate, issuer: x509.Certificate, origin: Path) -> None:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as error:
        raise ProvenanceError(
            f"in {origin}, {child.subject.rfc4514_string()} is not issued by "
            f"{issuer.subject.rfc4514_string()}"
        ) from error


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
