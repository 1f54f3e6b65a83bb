"""Opening a data directory safely, and the explicit ways to start part of it over (``previs init``).

``open_data`` pairs the data directory with its database and its signing identity under the directory's lock
(``storage/datadir.py``): first use makes all three; later, a lost database or a lost signing identity is
refused with the way to recover, never silently replaced. ``start_over`` is that way: it sets the old files
aside (nothing is deleted) and records what it did as a studio event in the database.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from previs.app.recording import HEAD_FILE
from previs.errors import DataDirectoryRefused, InvalidRequest, StorageDamaged
from previs.provenance.identity import SigningIdentity, load_or_create_identity, replace_local_identity
from previs.settings import Settings
from previs.storage import Database
from previs.storage.datadir import DataDirectory, OpenedStudio
from previs.storage.failures import describe

SIGNING_FOLDER = "signing"


@dataclass(frozen=True)
class OpenedData:
    database: Database
    identity: SigningIdentity
    studio_id: str
    read_only: str | None  # why the data directory may only be read; None when previs may write


def open_data(settings: Settings) -> OpenedData:
    """The database and signing identity that belong to ``settings.home``, made on first use."""
    data = DataDirectory(settings.home, head_file=HEAD_FILE)
    read_only = data.read_only()
    with nullcontext() if read_only else data.locked():
        opened = data.open(settings.db_url, read_only=read_only)
        try:
            identity = _identity(settings, create=opened.created and not read_only)
        except BaseException:
            opened.database.close()
            raise
    return OpenedData(opened.database, identity, opened.studio_id, read_only)


def _identity(settings: Settings, *, create: bool) -> SigningIdentity:
    return load_or_create_identity(settings.home / SIGNING_FOLDER, cert_file=settings.signing_cert,
                                   key_file=settings.signing_key, studio=settings.studio_name, create=create)


def start_over(settings: Settings, *, new_database: bool = False, new_signing_identity: bool = False) -> list[str]:
    """``previs init``: open (or make) the studio, first starting over what was asked; one line per step."""
    data = DataDirectory(settings.home, head_file=HEAD_FILE)
    if data.read_only():
        raise InvalidRequest(f"the data directory {settings.home} is read-only: `previs init` writes")
    if new_signing_identity and settings.signing_cert is not None:
        raise InvalidRequest("PREVIS_SIGNING_CERT is set, so that identity signs: unset it and "
                             "PREVIS_SIGNING_KEY to make a local one")
    done: list[str] = []
    with data.locked():
        opened = _start_database_over(data, settings, done) if new_database else \
            data.open(settings.db_url, read_only=None)
        try:
            if new_signing_identity:
                done.append(_replace_identity(data, settings, opened))
            _identity(settings, create=opened.created)
            with opened.database.unit_of_work() as work:
                frames = work.studio.frame_count()
            done.append(f"studio {opened.studio_id} in {settings.home}: {frames} frames, database "
                        f"{opened.database.where}")
        finally:
            opened.database.close()
    return done


def _start_database_over(data: DataDirectory, settings: Settings, done: list[str]) -> OpenedStudio:
    try:
        data.open(settings.db_url, read_only=None).database.close()
    except (DataDirectoryRefused, StorageDamaged) as error:
        if isinstance(error, DataDirectoryRefused) and error.remedy != "--new-database":
            raise
    else:
        raise InvalidRequest(f"the database {describe(settings.db_url)} opens with its studio: there is nothing "
                             "to start over; to discard it, move it away yourself first")
    folder = data.set_aside(settings.db_url)
    opened = data.open(settings.db_url, read_only=None)
    note = f"started a new database; the previous studio's files are kept in {folder}"
    with opened.database.unit_of_work() as work:
        work.studio.record("new-database", note)
    done.append(note)
    return opened


def _replace_identity(data: DataDirectory, settings: Settings, opened: OpenedStudio) -> str:
    folder = data.aside_folder()
    identity = replace_local_identity(settings.home / SIGNING_FOLDER, folder, studio=settings.studio_name)
    note = (f"made a new signing identity {identity.fingerprint}; the previous one (if any) is kept in "
            f"{folder} and its CA stays trusted for earlier frames")
    with opened.database.unit_of_work() as work:
        work.studio.record("new-signing-identity", note)
    return note
