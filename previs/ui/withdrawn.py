"""Withdrawn frames leave the browser's reach: Gradio's cached copies are refused and deleted within seconds.

Gradio copies every file it shows into its cache folder and serves the copy under ``/gradio_api/file=``. previs
keeps that cache inside the data directory (``ui-cache/``, 0700, one per served studio) instead of the
machine-wide ``/tmp/gradio``, and names each copy as Gradio does, by the original file's name, which for a
frame is its file digest. So:

* ``WithdrawnFilesGuard`` answers 404 to a file request whose name is a withdrawn frame's digest (and deletes
  that copy), checked against the database on every request: a revocation is in force at the next request,
  from any process;
* ``CacheSweeper`` deletes the cached copies of withdrawn frames every ``SWEEP_S`` seconds, so no copy stays on
  disk past a revocation made anywhere (the UI, the CLI, another machine on PostgreSQL).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import unquote

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

CACHE_FOLDER = "ui-cache"
SWEEP_S = 2.0
_DIGEST_NAME = re.compile(r"([0-9a-f]{64})\.(?:png|jpe?g)$")
log = logging.getLogger(__name__)

WithdrawnAmong = Callable[[Collection[str]], set[str]]


def _digest(path: str) -> str | None:
    match = _DIGEST_NAME.search(path)
    return match.group(1) if match else None


class WithdrawnFilesGuard:
    """ASGI middleware: a file route naming a withdrawn frame's file answers 404 and its cached copy goes."""

    def __init__(self, app: ASGIApp, *, withdrawn_among: WithdrawnAmong, cache: Path):
        self.app = app
        self.withdrawn_among = withdrawn_among
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "/file=" in scope.get("path", ""):
            requested = unquote(scope["path"].split("/file=", 1)[1])
            digest = _digest(requested)
            if digest is not None and self.withdrawn_among([digest]):
                _drop_copies(self.cache, {digest})
                await PlainTextResponse("this frame was withdrawn: its consent was revoked or expired",
                                        status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CacheSweeper:
    """A daemon thread deleting cached copies of withdrawn frames every ``interval`` seconds."""

    def __init__(self, cache: Path, withdrawn_among: WithdrawnAmong, interval: float = SWEEP_S):
        self.cache = cache
        self.withdrawn_among = withdrawn_among
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="previs-cache-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> int:
        """Delete the cached copies of withdrawn frames now; how many went."""
        cached = {digest for path in self.cache.glob("*/*") if (digest := _digest(path.name))}
        return _drop_copies(self.cache, self.withdrawn_among(cached)) if cached else 0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # a locked database, say: the next sweep tries again, the guard holds meanwhile
                log.exception("could not sweep the UI cache %s", self.cache)


def _drop_copies(cache: Path, digests: set[str]) -> int:
    dropped = 0
    for digest in digests:
        for copy in cache.glob(f"*/{digest}.*"):
            copy.unlink(missing_ok=True)
            dropped += 1
    return dropped
