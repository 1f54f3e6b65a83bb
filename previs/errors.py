"""Every error previs raises on purpose, in one place.

Front ends catch ``PrevisError`` and show its message; anything else is a bug.

    PrevisError
    ├── InvalidRequest        bad input from a user: the message says what and how to fix it
    │   ├── UploadRejected    an uploaded file is not acceptable (type, size, decompression bomb, ...)
    │   ├── ScriptImportError a screenplay or scene description could not be imported
    │   └── TemplateError     a prompt template file is malformed
    ├── NotFound              a named project, frame, performer, grant, ... does not exist
    ├── ModelUnavailable      the configured model cannot be loaded (not cached, no network, bad folder)
    ├── ConsentRefused        the consent gate refused a use of a performer's likeness
    ├── PermissionDenied      the user's role does not allow the action
    ├── JobInProgress         another job is doing this work now: the message says whose and since when
    ├── ProvenanceError       signing or verifying Content Credentials failed
    └── StorageError          the database or the frame store failed; nothing was half-written
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


class ConsentRefused(PrevisError):
    """A generation would use a performer's likeness without an active grant covering that use."""


class PermissionDenied(PrevisError):
    """The acting user's role does not allow this action."""


class JobInProgress(PrevisError):
    """The work asked for is being done by another job (a storyboard of the same scene and style)."""


class ProvenanceError(PrevisError):
    """Content Credentials could not be made or read."""


class StorageError(PrevisError):
    """Storing a record or file failed; the operation was rolled back."""
