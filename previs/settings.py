"""Settings from the environment (``PREVIS_*``) or command-line flags; flags win.

A leaf: every layer may read settings, so this module imports nothing of previs but its errors.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

from previs.errors import InvalidRequest

DEFAULT_MODEL = "previs-tiny"  # the built-in offline placeholder model (generation/tiny.py)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


ATTENTION = ("sdpa", "classic")  # torch's scaled_dot_product_attention, or diffusers' matmul-softmax-matmul
DEFAULT_VAE_TILING_ABOVE = 2.0  # megapixels: 2048x1024 tiles, SDXL's native 1024x1024 does not
# A UI session ends after this long without a request (an open page's heartbeat counts), and this long after sign-in.
DEFAULT_SESSION_IDLE_MINUTES, DEFAULT_SESSION_MAX_HOURS = 60.0, 12.0
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True)
class FastPaths:
    """Which speed-ups a generator uses (PREVIS_BATCHING, PREVIS_ATTENTION, ... in the README)."""

    batching: bool = False  # merge queued compatible text-to-image requests: pixels may depend on the batch
    attention: str = "sdpa"
    channels_last: bool = False  # UNet and VAE weights in NHWC, the layout GPU convolution kernels prefer
    compile: bool = False  # torch.compile the denoiser, with dynamic shapes so sizes do not recompile
    vae_tiling_above: float | None = DEFAULT_VAE_TILING_ABOVE  # megapixels per image; None: never tile

    def __post_init__(self) -> None:
        if self.attention not in ATTENTION:
            raise InvalidRequest(f"unknown attention {self.attention!r}: use one of {', '.join(ATTENTION)}")
        if self.vae_tiling_above is not None and self.vae_tiling_above <= 0:
            raise InvalidRequest("the VAE tiling threshold must be a positive number of megapixels, or off")

    def decode_plan(self, width: int, height: int, images: int) -> dict[str, bool]:
        """Tile one large frame, slice a large batch (one image at a time): memory, not speed, at big sizes."""
        if self.vae_tiling_above is None:
            return {"vae_tiling": False, "vae_slicing": False}
        limit = self.vae_tiling_above * 1_000_000
        return {"vae_tiling": width * height > limit, "vae_slicing": images * width * height > limit}


MAX_LOCAL_WORKERS = 64


@dataclass(frozen=True)
class WorkerMode:
    """PREVIS_WORKERS: ``local`` (the in-process generator), ``ray`` (join the cluster at RAY_ADDRESS) or
    ``ray-local:N`` (start a local Ray cluster with N workers)."""

    kind: str  # local | ray | ray-local
    count: int | None = None  # ray-local only

    @classmethod
    def parse(cls, value: str) -> WorkerMode:
        text = value.strip().lower()
        if text in ("local", "ray"):
            return cls(text)
        name, _, count = text.partition(":")
        if name == "ray-local" and count.isdigit() and 1 <= int(count) <= MAX_LOCAL_WORKERS:
            return cls(name, int(count))
        raise InvalidRequest(f"PREVIS_WORKERS={value!r} is not understood: use local, ray (joins RAY_ADDRESS) or "
                             f"ray-local:N with N from 1 to {MAX_LOCAL_WORKERS}")

    def __str__(self) -> str:
        return self.kind if self.count is None else f"{self.kind}:{self.count}"


def default_home(environ: Mapping[str, str]) -> Path:
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "previs"


class SettingsOverrides(TypedDict, total=False):
    """``Settings.from_env`` keyword overrides (command-line flags): any field; None means not given."""

    home: str | Path | None
    model: str | None
    device: str | None
    dtype: str | None
    database_url: str | None
    user: str | None
    models_path: Path | None
    consent_policy: str | None
    signing_cert: Path | None
    signing_key: Path | None
    studio_name: str | None
    fast_paths: FastPaths | None
    allowed_hosts: tuple[str, ...] | None
    session_idle_minutes: float | None
    session_max_hours: float | None
    workers: WorkerMode | None
    worker_models: tuple[str, ...] | None
    ray_address: str | None


@dataclass(frozen=True)
class Settings:
    """Where data lives, which model runs where, and who is acting."""

    home: Path
    model: str = DEFAULT_MODEL
    device: str | None = None  # None: pick automatically (CUDA, then MPS, then CPU)
    dtype: str | None = None  # None: bf16/fp16 on GPUs, fp32 on the CPU
    database_url: str | None = None  # None: SQLite file previs.db in home
    user: str = "local"
    models_path: Path | None = None  # None: models/ in home; share one folder between data directories
    consent_policy: str = "keep"  # what withdrawn frames' files become: keep (out of reach, for audit) | purge
    signing_cert: Path | None = None  # a certificate chain from a real CA (PEM); None: the studio's local CA
    signing_key: Path | None = None
    studio_name: str = "previs studio"  # the subject of a newly made local signing identity
    # Speed-ups (docs/performance.md); the defaults keep the pixels plain diffusers makes.
    fast_paths: FastPaths = field(default_factory=FastPaths)
    # Host names the UI answers to besides loopback and IP addresses (docs/security.md: DNS rebinding).
    allowed_hosts: tuple[str, ...] = ()
    session_idle_minutes: float = DEFAULT_SESSION_IDLE_MINUTES
    session_max_hours: float = DEFAULT_SESSION_MAX_HOURS
    # Who draws (generation/workers/): the in-process generator, or Ray actors holding loaded models.
    workers: WorkerMode = field(default_factory=lambda: WorkerMode("local"))
    worker_models: tuple[str, ...] = ()  # models the Ray pool keeps loaded; empty: the studio's model
    ray_address: str | None = None  # PREVIS_WORKERS=ray: the cluster to join (RAY_ADDRESS); None: "auto"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: Unpack[SettingsOverrides]) -> Settings:
        """Read PREVIS_HOME, PREVIS_MODEL, PREVIS_DEVICE, PREVIS_DTYPE, PREVIS_DATABASE_URL, PREVIS_USER,
        PREVIS_MODELS_DIR, PREVIS_CONSENT_POLICY, PREVIS_SIGNING_CERT, PREVIS_SIGNING_KEY, PREVIS_STUDIO_NAME,
        the fast paths: PREVIS_BATCHING, PREVIS_ATTENTION, PREVIS_CHANNELS_LAST, PREVIS_COMPILE,
        PREVIS_VAE_TILING_ABOVE, and the UI server's PREVIS_ALLOWED_HOSTS, PREVIS_SESSION_IDLE_MINUTES,
        PREVIS_SESSION_MAX_HOURS, and the generation workers' PREVIS_WORKERS, PREVIS_WORKER_MODELS, RAY_ADDRESS."""
        env = os.environ if environ is None else environ
        settings = cls(
            home=Path(env.get("PREVIS_HOME") or default_home(env)).expanduser(),
            model=env.get("PREVIS_MODEL") or DEFAULT_MODEL,
            device=env.get("PREVIS_DEVICE") or None,
            dtype=env.get("PREVIS_DTYPE") or None,
            database_url=env.get("PREVIS_DATABASE_URL") or None,
            user=env.get("PREVIS_USER") or _login_name(),
            models_path=_path(env, "PREVIS_MODELS_DIR"),
            consent_policy=env.get("PREVIS_CONSENT_POLICY") or "keep",
            signing_cert=_path(env, "PREVIS_SIGNING_CERT"),
            signing_key=_path(env, "PREVIS_SIGNING_KEY"),
            studio_name=env.get("PREVIS_STUDIO_NAME") or "previs studio",
            fast_paths=_fast_paths(env),
            allowed_hosts=allowed_hosts(env.get("PREVIS_ALLOWED_HOSTS") or ""),
            session_idle_minutes=_positive(env, "PREVIS_SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES),
            session_max_hours=_positive(env, "PREVIS_SESSION_MAX_HOURS", DEFAULT_SESSION_MAX_HOURS),
            workers=WorkerMode.parse(env.get("PREVIS_WORKERS") or "local"),
            worker_models=tuple(name.strip() for name in (env.get("PREVIS_WORKER_MODELS") or "").split(",")
                                if name.strip()),
            ray_address=env.get("RAY_ADDRESS") or None,
        )
        # Each value was checked against SettingsOverrides; dropping the Nones loses the per-key types.
        given: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
        if "home" in given:
            given["home"] = Path(str(given["home"])).expanduser()
        return replace(settings, **given)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'previs.db'}"

    @property
    def models_dir(self) -> Path:
        return self.models_path or self.home / "models"

    @property
    def kept_models(self) -> tuple[str, ...]:
        """The models a worker pool keeps loaded: PREVIS_WORKER_MODELS, else the studio's own model."""
        return self.worker_models or (self.model,)


def _path(env: Mapping[str, str], name: str) -> Path | None:
    return Path(env[name]).expanduser() if env.get(name) else None


def _fast_paths(env: Mapping[str, str]) -> FastPaths:
    tiling = (env.get("PREVIS_VAE_TILING_ABOVE") or str(DEFAULT_VAE_TILING_ABOVE)).strip().lower()
    try:
        tiling_above = None if tiling in _FALSE else float(tiling)
    except ValueError:
        raise InvalidRequest(f"PREVIS_VAE_TILING_ABOVE={tiling!r} is not a number of megapixels or off") from None
    return FastPaths(
        batching=_flag(env, "PREVIS_BATCHING"),
        attention=(env.get("PREVIS_ATTENTION") or "sdpa").strip().lower(),
        channels_last=_flag(env, "PREVIS_CHANNELS_LAST"),
        compile=_flag(env, "PREVIS_COMPILE"),
        vae_tiling_above=tiling_above,
    )


def allowed_hosts(value: str) -> tuple[str, ...]:
    """PREVIS_ALLOWED_HOSTS: host names separated by commas or spaces, without scheme or port."""
    names = tuple(name.lower().rstrip(".") for name in re.split(r"[,\s]+", value.strip()) if name)
    for name in names:
        if not _HOST_NAME.match(name):
            raise InvalidRequest(f"PREVIS_ALLOWED_HOSTS: {name!r} is not a host name: give names like "
                                 "previs.studio.lan, separated by commas, without http:// or a port")
    return names


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    try:
        number = float(value) if value else default
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise InvalidRequest(f"{name}={value!r} is not understood: give a positive number, e.g. {default:g}")
    return number


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "off").strip().lower()
    if value not in _TRUE + _FALSE:
        raise InvalidRequest(f"{name}={value!r} is not understood: use on or off")
    return value in _TRUE


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "local"
