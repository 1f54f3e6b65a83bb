"""previs: virtual production previsualisation with consent and provenance built in.

The public Python API. Open a studio and call its desks as the acting user::

    from previs import FrameRequest, Settings, open_studio

    studio = open_studio(Settings.from_env())
    frames = studio.frames.generate(FrameRequest("a lighthouse at dusk", seed=7), actor=studio.local_actor)

Everything named in ``__all__`` is supported; modules below ``previs`` are the implementation (their layout is
in docs/architecture.md) and may change.
"""

from previs.access.permissions import Action, Actor, Role
from previs.app.fittings import FigureListing, FittingResult
from previs.app.requests import (
    DEFAULT_PROJECT,
    Export,
    FrameInfo,
    FrameRequest,
    ModelListing,
    ModelStatus,
    Reproduction,
)
from previs.app.storyboards import Sheet, ShotProgress, StoryboardBusy, StoryboardRequest, StoryboardResult
from previs.app.studio import Studio, open_studio
from previs.errors import (
    ConsentRefused,
    InvalidRequest,
    JobInProgress,
    ModelUnavailable,
    NotFound,
    PermissionDenied,
    PrevisError,
    ProvenanceError,
    ScriptImportError,
    StorageError,
    TemplateError,
    UploadRejected,
)
from previs.fitting.request import FittingRequest
from previs.generation.limits import GenerationRecord
from previs.provenance.record import FrameRecord
from previs.provenance.verify import Verification
from previs.settings import Settings
from previs.version import __version__

__all__ = [
    "DEFAULT_PROJECT",
    "Action",
    "Actor",
    "ConsentRefused",
    "Export",
    "FigureListing",
    "FittingRequest",
    "FittingResult",
    "FrameInfo",
    "FrameRecord",
    "FrameRequest",
    "GenerationRecord",
    "InvalidRequest",
    "JobInProgress",
    "ModelListing",
    "ModelStatus",
    "ModelUnavailable",
    "NotFound",
    "PermissionDenied",
    "PrevisError",
    "ProvenanceError",
    "Reproduction",
    "Role",
    "ScriptImportError",
    "Settings",
    "Sheet",
    "ShotProgress",
    "StorageError",
    "StoryboardBusy",
    "StoryboardRequest",
    "StoryboardResult",
    "Studio",
    "TemplateError",
    "UploadRejected",
    "Verification",
    "__version__",
    "open_studio",
]
