"""What a worker process's environment may hold: an allow-list, so the studio's secrets never reach it.

A generation worker needs to find Python, its libraries and model weights, and nothing else. The studio's
environment carries PREVIS_DATABASE_URL (with its password), PREVIS_HOME (the signing key, users file and consent
evidence live there), signing paths and more; none of it may reach a process that runs model code on a GPU box
anyone on the team may log into. So workers are never started with the studio's environment, only with these.
"""

from __future__ import annotations

from collections.abc import Mapping

# Finding programs, libraries, locale and temporary space; model caches; GPU selection; Ray's own token.
_PASSED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
           "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN",
           "RAY_AUTH_TOKEN_PATH")
_LOCAL_ONLY = ("PYTHONPATH", "VIRTUAL_ENV")  # paths of this machine: they mean nothing on another host


def worker_environment(environ: Mapping[str, str], *, same_host: bool) -> dict[str, str]:
    """The environment a worker (or a local Ray node starting workers) gets, taken from ``environ``."""
    names = _PASSED + (_LOCAL_ONLY if same_host else ())
    return {name: environ[name] for name in names if environ.get(name)}
