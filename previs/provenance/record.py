"""The frame record: the typed account of one stored frame that travels in its PNG, manifest and ledger entry.

Written once, by ``app/recording.py``, and read back from the database through ``FrameRecord.from_json``.
Its JSON form (``to_json``) is the published format: the same keys every earlier frame carries, so the
record hash in the ledger and the copy inside each file stay comparable. Nothing outside this module reads a
record by string key, except where its parts are defined: ``generation/limits.py`` (the generation part) and
``prompts/model.py`` (the fitted prompt template).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from previs.consent.likeness import FaceMatch, LikenessUse
from previs.errors import InvalidRequest
from previs.generation.limits import GenerationRecord, WorkerRecord
from previs.prompts import RenderedPrompt


@dataclass(frozen=True)
class InputRecord:
    """A picture the frame was made from, kept by sha256 in the inputs store."""

    role: str  # figure | performer_photo | parent_frame | mask | variant
    title: str
    sha256: str
    feeds: str | None  # the generator argument it was given as: init_image | mask_image | None


@dataclass(frozen=True)
class SceneRef:
    number: str
    heading: str


@dataclass(frozen=True)
class ShotRef:
    order: int
    description: str
    size: str
    angle: str


@dataclass(frozen=True)
class FittingRecord:
    """A costume fitting's choices; ``board`` marks the composed fitting board."""

    figure: str
    region: str
    protected_face_and_hands: bool
    costume: str
    performer: str | None
    board: bool = False

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        if not self.board:
            del values["board"]
        return values


@dataclass(frozen=True)
class BlockoutRecord:
    """The blockout that steered a storyboard frame: how (controlnet | image-to-image) and its camera and set."""

    method: str
    lens_mm: int
    sensor_mm: tuple[float, float]
    camera_height_m: float
    distance_m: float
    tilt_deg: float
    roll_deg: float
    figures: tuple[str, ...]
    interior: bool
    light: str

    def to_json(self) -> dict[str, Any]:
        """As JSON holds it (lists, not tuples), so a record reads back equal to what was written."""
        return asdict(self) | {"sensor_mm": list(self.sensor_mm), "figures": list(self.figures)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockoutRecord:
        width, height = data["sensor_mm"]
        return cls(**{**data, "sensor_mm": (float(width), float(height)), "figures": tuple(data["figures"])})


@dataclass(frozen=True)
class FrameDetails:
    """What a frame was for beyond how the model drew it; each is left out of the JSON when unset."""

    prompt_template: RenderedPrompt | None = None  # how a department template was fitted, what it left out
    scene: SceneRef | None = None
    shot: ShotRef | None = None
    fitting: FittingRecord | None = None
    composed: bool = False  # a board composed from variants, not drawn by the model
    changes: str | None = None  # a variation's requested changes
    prompt_fit: str | None = None  # a note that the text encoder ignores the end of the prompt
    likeness_uses: tuple[LikenessUse, ...] | None = None  # set by the consent gate for every stored frame
    faces: tuple[FaceMatch, ...] | None = None  # the faces the gate found (inputs and output), whom they matched
    blockout: BlockoutRecord | None = None  # a storyboard frame's blockout and how it steered the drawing

    def carried(self) -> FrameDetails:
        """What a variation keeps from its parent: the prompt template, scene, shot and fitting."""
        return FrameDetails(prompt_template=self.prompt_template, scene=self.scene, shot=self.shot,
                            fitting=self.fitting)

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "prompt_template": None if self.prompt_template is None else self.prompt_template.to_record(),
            "scene": None if self.scene is None else asdict(self.scene),
            "shot": None if self.shot is None else asdict(self.shot),
            "fitting": None if self.fitting is None else self.fitting.to_json(),
            "composed": True if self.composed else None,
            "changes": self.changes,
            "prompt_fit": self.prompt_fit,
            "likeness_uses": None if self.likeness_uses is None else [asdict(use) for use in self.likeness_uses],
            "faces": None if self.faces is None else [asdict(face) for face in self.faces],
            "blockout": None if self.blockout is None else self.blockout.to_json(),
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameDetails:
        template, scene, shot = data.get("prompt_template"), data.get("scene"), data.get("shot")
        fitting, uses, faces = data.get("fitting"), data.get("likeness_uses"), data.get("faces")
        return cls(
            prompt_template=None if template is None else RenderedPrompt.from_record(template),
            scene=None if scene is None else SceneRef(**scene),
            shot=None if shot is None else ShotRef(**shot),
            fitting=None if fitting is None else FittingRecord(**fitting),
            composed=bool(data.get("composed", False)),
            changes=data.get("changes"),
            prompt_fit=data.get("prompt_fit"),
            likeness_uses=None if uses is None else tuple(LikenessUse(**use) for use in uses),
            faces=None if faces is None else tuple(FaceMatch.from_json(face) for face in faces),
            blockout=None if data.get("blockout") is None else BlockoutRecord.from_json(data["blockout"]),
        )


_DETAIL_KEYS = ("prompt_template", "scene", "shot", "fitting", "composed", "changes", "prompt_fit", "likeness_uses",
                "faces", "blockout")


@dataclass(frozen=True)
class FrameRecord:
    """Everything a frame says about itself: who made it for what, under which grants, from what, and how."""

    frame_uid: str  # makes every stored file unique, even for equal pictures
    previs_version: str
    kind: str
    project: str
    created_by: str
    created_at: str
    parent_frame_id: int | None
    consent_grants: tuple[int, ...]
    inputs: tuple[InputRecord, ...]
    sha256: str  # of the decoded RGB pixels
    generation: GenerationRecord
    details: FrameDetails = field(default_factory=FrameDetails)
    worker: WorkerRecord | None = None  # the generation worker that drew it (none for a composed board)

    @property
    def composed(self) -> bool:
        return self.details.composed

    @property
    def style(self) -> str | None:
        """The style a templated frame was drawn in (storyboards resume by it)."""
        return None if self.details.prompt_template is None else self.details.prompt_template.style

    def to_json(self) -> dict[str, Any]:
        return {
            "frame_uid": self.frame_uid, "previs_version": self.previs_version, "kind": self.kind,
            "project": self.project, "created_by": self.created_by, "created_at": self.created_at,
            "parent_frame_id": self.parent_frame_id, "consent_grants": list(self.consent_grants),
            "inputs": [asdict(item) for item in self.inputs], **self.details.to_json(), "sha256": self.sha256,
            "generation": self.generation.to_json(),
            **({} if self.worker is None else {"worker": self.worker.to_json()}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameRecord:
        """A stored record; InvalidRequest when ``data`` is not one (a foreign or damaged file's record)."""
        try:
            return cls(
                frame_uid=data["frame_uid"], previs_version=data["previs_version"], kind=data["kind"],
                project=data["project"], created_by=data["created_by"], created_at=data["created_at"],
                parent_frame_id=data.get("parent_frame_id"),
                consent_grants=tuple(int(grant) for grant in data.get("consent_grants", ())),
                inputs=tuple(InputRecord(**item) for item in data.get("inputs", ())), sha256=data["sha256"],
                generation=GenerationRecord.from_json(data["generation"]),
                details=FrameDetails.from_json({key: data[key] for key in _DETAIL_KEYS if key in data}),
                worker=None if data.get("worker") is None else WorkerRecord.from_json(data["worker"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidRequest(f"not a previs frame record ({error.__class__.__name__}: {error})") from error
