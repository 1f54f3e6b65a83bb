"""Every error previs raises on purpose, in one place.

Front ends catch ``PrevisError`` and show its message; anything else is a bug.

    PrevisError
    ├── InvalidRequest        bad input from a user: the message says what and how to fix it
    │   ├── UploadRejected    an uploaded file is not acceptable (type, size, decompression bomb, ...)
    │   ├── ScriptImportError a screenplay or scene description could not be imported
    │   └── TemplateError     a prompt template file is malformed
    ├── NotFound              a named project, frame, performer, grant, ... does not exist
    ├── ModelUnavailable      the configured model cannot be loaded (not cached, no network, bad folder)
    ├── WorkersUnavailable    the generation workers cannot draw (no cluster, every worker lost): nothing stored
    ├── ConsentRefused        the consent gate refused a use of a performer's likeness
    ├── PermissionDenied      the user's role does not allow the action
    ├── JobInProgress         another job is doing this work now: the message says whose and since when
    ├── GenerationStopped     the person stopped a generation: nothing of it was stored
    ├── ProvenanceError       signing or verifying Content Credentials failed
    ├── DataDirectoryRefused  the data directory lost its database or signing identity, or its database is
    │                     another studio's: refused, never silently replaced; the message says how to recover
    └── StorageError          the database or the frame store failed; nothing was half-written
        ├── StorageBusy       another process held the database's lock past the busy timeout
        ├── StorageFull       the disk holding the database is full
        ├── StorageReadOnly   the data directory or database can only be read (an audit snapshot)
        └── StorageDamaged    the database file is corrupt: restore it from a backup
"""

from __future__ import annotations


class PrevisError(Exception):
    """Base of all expected errors; ``str(err)`` is a message fit for a user."""


class InvalidRequest(PrevisError, ValueError):
    """A request or input value is wrong; the message names the field and a valid alternative."""


class UploadRejected(InvalidRequest):
    """An uploaded file was refused before anything used it."""


class ScriptImportError(InvalidRequest):
    """A screenplay or scene description could not be imported; nothing was stored."""


class TemplateError(InvalidRequest):
    """A prompt template or style file is malformed; the message names the file and the field."""


class NotFound(PrevisError, LookupError):
    """A referenced object does not exist."""


class ModelUnavailable(PrevisError):
    """The configured model cannot be loaded; the message says which, why and how to fix it."""


class WorkersUnavailable(PrevisError):
    """The generation workers (a Ray cluster) cannot be reached or kept failing; nothing was stored."""


class ConsentRefused(PrevisError):
    """A generation would use a performer's likeness without an active grant covering that use."""


class PermissionDenied(PrevisError):
    """The acting user's role does not allow this action."""


class JobInProgress(PrevisError):
    """The work asked for is being done by another job (a storyboard of the same scene and style)."""


class GenerationStopped(PrevisError):
    """A generation was stopped at a step boundary on request; nothing half-made is stored."""


class ProvenanceError(PrevisError):
    """Content Credentials could not be made or read."""


class StorageError(PrevisError):
    """Storing a record or file failed; the operation was rolled back."""


class StorageBusy(StorageError):
    """The database stayed locked by another process past the busy timeout; trying again may work."""


class StorageFull(StorageError):
    """The disk holding the database (or the data directory) is full; nothing was saved."""


class StorageReadOnly(StorageError):
    """The data directory or database is read-only: read commands work, this one writes."""


class StorageDamaged(StorageError):
    """The database file is damaged; previs never repairs it in place: restore from a backup."""


class DataDirectoryRefused(PrevisError):
    """The data directory and its database do not belong together, or part of the studio is gone.

    Opening it anyway would start a new database or signing identity and wipe the tamper evidence, so previs
    refuses and names the way to restore, or the explicit ``previs init`` command that starts over.
    ``remedy`` is that command's option (``--new-database``, ``--new-signing-identity``), or None.
    """

    def __init__(self, message: str, *, remedy: str | None = None):
        super().__init__(message)
        self.remedy = remedy
