"""Who draws: one interface (``pool.WorkerPool``), two back ends.

``local.py`` is today's in-process generator (the default, as fast as before); ``ray_pool.py`` is a pool of Ray
actors, each holding one loaded model on one device. The pool is fed requests the studio has already checked and
gated, and returns pixels and their generation record; consent, signing and storing stay in the studio process
(``app/pipeline.py``). Only this package imports ray (an import-linter contract).
"""

from __future__ import annotations

from previs.generation.workers.pool import WorkerInfo, WorkerPool
from previs.settings import Settings

__all__ = ["WorkerInfo", "WorkerPool", "open_pool"]


def open_pool(settings: Settings) -> WorkerPool | None:
    """The Ray pool PREVIS_WORKERS asks for, or None: the studio's in-process generator draws (``local.py``)."""
    if settings.workers.kind == "local":
        return None
    try:
        from previs.generation.workers.ray_pool import RayWorkers
    except ImportError:
        from previs.errors import InvalidRequest

        raise InvalidRequest(f"PREVIS_WORKERS={settings.workers} needs Ray: pip install previs[cluster], "
                             "or use PREVIS_WORKERS=local") from None
    return RayWorkers(settings)
