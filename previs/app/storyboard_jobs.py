"""Who is drawing which storyboard: one job per (scene, style) at a time, claimed in the database.

A claim is a row of ``storyboard_jobs`` (unique per scene and style), so it holds across threads, processes
and machines sharing the database. Its job keeps it fresh with a heartbeat thread and deletes it when it ends,
however it ends. A job killed outright (kill -9, a power cut) leaves its row behind, so a row is taken over
when it is stale: its owner ran on this machine (same boot, same pid namespace) and that process is gone, which
is seen at once, or its heartbeat is older than ``STALE_AFTER`` (another machine, or a reused pid).

Why a row and not a lock that dies with its session: SQLite has no such lock, and PostgreSQL's advisory locks
would pin a connection per running job; the row works alike on both, and it says who holds the scene, which
is what a waiting producer wants to read.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType

from previs.errors import StorageError
from previs.storage import Database
from previs.storage.tables import StoryboardJob, utc_now

HEARTBEAT_SECONDS = 10.0  # how often a running job refreshes its claim
STALE_AFTER = timedelta(seconds=60)  # a claim not refreshed for this long is taken over
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """Whoever holds a claim another job wanted: what the waiting user is told."""

    user: str
    host: str
    pid: int
    since: datetime


@cache
def _pid_space() -> str:
    """Where a pid names one process: this boot of this kernel, this pid namespace ("" off Linux)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot} {os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return ""


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def _stale(job: StoryboardJob, now: datetime) -> str | None:
    """Why a claim can be taken over, or None while its owner may still be drawing."""
    if job.heartbeat_at < now - STALE_AFTER:
        return f"no heartbeat since {job.heartbeat_at:%H:%M:%S} UTC"
    if (job.pid_space and job.pid_space == _pid_space() and job.host == socket.gethostname()
            and not _running(job.pid)):
        return f"process {job.pid} on {job.host} is gone"
    return None


class Claim:
    """A held claim on (scene, style), kept fresh until the ``with`` block that holds it ends."""

    def __init__(self, database: Database, job_id: int, holder: str):
        self._database = database
        self._job_id = job_id
        self._holder = holder
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._heart = threading.Thread(target=self._beat, name=f"storyboard-claim-{job_id}", daemon=True)
        self._heart.start()

    @property
    def lost(self) -> bool:
        """Whether another job took the claim over (this one missed its heartbeat for ``STALE_AFTER``)."""
        return self._lost.is_set()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self._database.unit_of_work() as work:
                    kept = work.storyboard_jobs.beat(self._job_id, self._holder, utc_now())
            except StorageError as error:  # the database was busy or away: the next beat tries again
                log.warning("storyboard claim %s: heartbeat failed (%s)", self._job_id, error)
                continue
            if not kept:
                self._lost.set()
                return

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop.set()
        self._heart.join()
        try:
            with self._database.unit_of_work() as work:
                work.storyboard_jobs.release(self._job_id, self._holder)
        except StorageError as failure:  # the row goes stale and the next job takes it over
            log.warning("storyboard claim %s was not released (%s)", self._job_id, failure)


class StoryboardClaims:
    """Takes claims on (scene, style) for jobs; one per studio."""

    def __init__(self, database: Database):
        self._database = database

    def take(self, scene_id: int, style: str, *, user: str) -> Claim | Holder:
        """The claim, held and beating, or who holds it now (a live job) when this job may not start."""
        while True:
            now = utc_now()
            with self._database.unit_of_work() as work:
                current = work.storyboard_jobs.holder_of(scene_id, style)
            why = None if current is None else _stale(current, now)
            if current is not None and why is None:
                return Holder(current.user, current.host, current.pid, current.started_at)
            holder = uuid.uuid4().hex
            mine = {"holder": holder, "user": user, "host": socket.gethostname(), "pid": os.getpid(),
                    "pid_space": _pid_space(), "started_at": now, "heartbeat_at": now}
            with self._database.unit_of_work() as work:
                if current is None:
                    job_id = work.storyboard_jobs.claim(scene_id=scene_id, style=style, **mine)
                else:
                    job_id = current.id if work.storyboard_jobs.take_over(current.id, current.holder, **mine) else None
            if job_id is not None:
                if current is not None:
                    log.warning("took over the storyboard claim of %s on scene id %s in %s: %s", current.user,
                                scene_id, style, why)
                return Claim(self._database, job_id, holder)
            # another job claimed it between the read and the write: look again
