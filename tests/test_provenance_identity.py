"""The studio signing identity: made once, kept private, shaped as C2PA wants, replaceable by a real CA's."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from previs.errors import InvalidRequest, ProvenanceError
from previs.provenance.credentials import read_credentials, sign_image
from previs.provenance.identity import (
    CA_CERT_FILE,
    SIGNER_CERT_FILE,
    SIGNER_KEY_FILE,
    SigningIdentity,
    load_or_create_identity,
)
from tests.provenance_support import noisy_png


@pytest.fixture(scope="module")
def identity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity") / "keys"


@pytest.fixture(scope="module")
def identity(identity_dir: Path) -> SigningIdentity:
    return load_or_create_identity(identity_dir, studio="Northlight Pictures")


def _leaf(identity: SigningIdentity) -> x509.Certificate:
    return x509.load_pem_x509_certificates(identity.chain_pem)[0]


def _anchor(identity: SigningIdentity) -> x509.Certificate:
    (anchor,) = x509.load_pem_x509_certificates(identity.trust_anchors_pem)
    return anchor


def test_identity_is_created_once_then_loaded(identity: SigningIdentity, identity_dir: Path) -> None:
    files = {path.name: path.read_bytes() for path in identity_dir.iterdir()}

    again = load_or_create_identity(identity_dir, studio="Some Other Name")

    assert again == identity
    assert {path.name: path.read_bytes() for path in identity_dir.iterdir()} == files
    assert again.display_name == "Northlight Pictures Content Credentials"


def test_only_the_leaf_key_is_kept_and_it_is_private(identity: SigningIdentity, identity_dir: Path) -> None:
    names = {path.name for path in identity_dir.iterdir() if not path.name.startswith(".")}
    assert names == {CA_CERT_FILE, SIGNER_CERT_FILE, SIGNER_KEY_FILE}  # the CA's key is never written
    assert stat.S_IMODE((identity_dir / SIGNER_KEY_FILE).stat().st_mode) == 0o600
    for certificate in (CA_CERT_FILE, SIGNER_CERT_FILE):
        mode = stat.S_IMODE((identity_dir / certificate).stat().st_mode)
        assert mode & 0o600 == 0o600 and mode & 0o022 == 0


def test_leaf_is_an_es256_end_entity_with_eku_and_key_identifiers(identity: SigningIdentity) -> None:
    leaf, anchor = _leaf(identity), _anchor(identity)
    extensions = leaf.extensions

    assert identity.algorithm == "es256"
    public_key = leaf.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1"
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    key_purposes = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in key_purposes
    subject_key_id = extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert subject_key_id == x509.SubjectKeyIdentifier.from_public_key(leaf.public_key())
    anchor_key_id = anchor.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    authority_key_id = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert authority_key_id.key_identifier == anchor_key_id.digest
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Northlight Pictures"
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=9 * 365)
    assert identity.fingerprint == leaf.fingerprint(hashes.SHA256()).hex(":").upper()


def test_anchor_is_a_self_signed_ca_that_issued_the_leaf(identity: SigningIdentity) -> None:
    leaf, anchor = _leaf(identity), _anchor(identity)

    assert anchor.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert anchor.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    anchor.verify_directly_issued_by(anchor)
    leaf.verify_directly_issued_by(anchor)
    assert len(x509.load_pem_x509_certificates(identity.chain_pem)) == 1  # the root stays out of manifests


def _certificate(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    purpose: x509.ObjectIdentifier = ExtendedKeyUsageOID.EMAIL_PROTECTION,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer or (name, key)
    is_ca = issuer is None or name.endswith("CA")
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=not is_ca, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=is_ca, crl_sign=is_ca,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if not is_ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
    return builder.sign(issuer_key, hashes.SHA384())


@pytest.fixture(scope="module")
def real_ca_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, x509.Certificate]:
    """A three-level chain (root, intermediate, P-384 leaf) as a commercial CA would issue it."""
    root_key, intermediate_key, leaf_key = (ec.generate_private_key(ec.SECP384R1()) for _ in range(3))
    root = _certificate("Real Root CA", root_key, None)
    intermediate = _certificate("Real Issuing CA", intermediate_key, ("Real Root CA", root_key))
    leaf = _certificate("Northlight Pictures", leaf_key, ("Real Issuing CA", intermediate_key))
    folder = tmp_path_factory.mktemp("real-ca")
    cert_file, key_file = folder / "chain.pem", folder / "key.pem"
    chain = (leaf, intermediate, root)
    cert_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_file.write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file, root


def test_configured_chain_replaces_the_local_ca(
    real_ca_files: tuple[Path, Path, x509.Certificate], tmp_path: Path
) -> None:
    cert_file, key_file, root = real_ca_files

    configured = load_or_create_identity(tmp_path / "unused", cert_file=cert_file, key_file=key_file)

    assert not (tmp_path / "unused").exists()
    assert configured.trust_anchors_pem == root.public_bytes(serialization.Encoding.PEM)
    assert [c.subject.rfc4514_string() for c in x509.load_pem_x509_certificates(configured.chain_pem)] == [
        "CN=Northlight Pictures", "CN=Real Issuing CA"]
    assert configured.algorithm == "es384"
    signed = sign_image(noisy_png(1), "image/png", record={"seed": 1}, identity=configured, title="real CA")
    report = read_credentials(signed, "image/png", trust_anchors_pem=configured.trust_anchors_pem)
    assert report.state == "valid" and report.signer_common_name == "Northlight Pictures"


def test_a_certificate_c2pa_would_reject_fails_at_the_first_signature(tmp_path: Path) -> None:
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Strict Root CA", root_key, None)
    document_signing = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # not in c2pa-rs 0.91's default EKU list
    leaf = _certificate("Northlight Pictures", leaf_key, ("Strict Root CA", root_key), document_signing)
    cert_file, key_file = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, root)))
    key_file.write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    configured = load_or_create_identity(tmp_path, cert_file=cert_file, key_file=key_file)

    with pytest.raises(ProvenanceError, match=r"does not accept the certificate.*signingCredential\.invalid"):
        sign_image(noisy_png(2), "image/png", record={}, identity=configured, title="first frame")


def test_a_key_that_does_not_match_the_certificate_is_refused(
    real_ca_files: tuple[Path, Path, x509.Certificate], identity_dir: Path, identity: SigningIdentity
) -> None:
    cert_file, _, _ = real_ca_files
    with pytest.raises(ProvenanceError, match="does not belong"):
        load_or_create_identity(identity_dir, cert_file=cert_file, key_file=identity_dir / SIGNER_KEY_FILE)


def test_unreadable_or_incomplete_configuration_is_refused(
    real_ca_files: tuple[Path, Path, x509.Certificate], tmp_path: Path
) -> None:
    cert_file, key_file, _ = real_ca_files
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a PEM file")
    leaf_only = tmp_path / "leaf.pem"
    leaf_only.write_bytes(x509.load_pem_x509_certificates(cert_file.read_bytes())[0].public_bytes(
        serialization.Encoding.PEM))

    with pytest.raises(ProvenanceError, match="cannot read certificates"):
        load_or_create_identity(tmp_path, cert_file=tmp_path / "missing.pem", key_file=key_file)
    with pytest.raises(ProvenanceError, match="private key"):
        load_or_create_identity(tmp_path, cert_file=cert_file, key_file=garbage)
    with pytest.raises(ProvenanceError, match="self-signed"):
        load_or_create_identity(tmp_path, cert_file=leaf_only, key_file=key_file)
    with pytest.raises(InvalidRequest, match="go together"):
        load_or_create_identity(tmp_path, cert_file=cert_file)


def test_a_damaged_local_identity_is_reported_not_replaced(tmp_path: Path) -> None:
    load_or_create_identity(tmp_path)
    (tmp_path / SIGNER_KEY_FILE).unlink()

    with pytest.raises(ProvenanceError, match=SIGNER_KEY_FILE):
        load_or_create_identity(tmp_path)
    assert not (tmp_path / SIGNER_KEY_FILE).exists()
