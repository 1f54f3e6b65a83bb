"""Sign-in lockout: after a few failed attempts for one name or from one address, refuse attempts for a while.

Each failure past the free ones doubles the wait (``BASE_S``, then 2×, 4×, ... up to ``MAX_S``); while a key is
locked every attempt is refused before its password is checked, right or wrong. An attempt counts as failed the
moment it starts and is taken back when it succeeds, so parallel guesses cannot slip in before the first
failures are counted. A success clears the name's count, never the address's (a guesser with an account of their
own cannot reset it); counts are forgotten ``FORGET_S`` after a key's last failure.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from previs.access.sessions import Clock

log = logging.getLogger(__name__)

FREE_PER_NAME, FREE_PER_ADDRESS = 5, 20  # an office behind one address mistypes more often than one person
BASE_S, MAX_S, FORGET_S = 2.0, 900.0, 3600.0
_MAX_KEYS = 10_000  # names are whatever a client sends: bound the memory they take


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0
    reported: float = 0.0  # the lock whose refusals the log has told of: once per lock, not per attempt


class Locked(Exception):
    """Attempts for this name or from this address are refused for ``retry_after`` more seconds."""

    def __init__(self, retry_after: float):
        super().__init__(f"locked for {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt counted by ``Lockout.begin``: its keys and the locks it set (to undo on success)."""

    keys: tuple[tuple[str, str], ...]
    locks_before: tuple[float, ...]


class Lockout:
    def __init__(self, clock: Clock = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], _Count] = {}

    def begin(self, name: str, address: str) -> Attempt:
        """Count an attempt as failed before its password is checked; raises ``Locked`` while refused."""
        now = self._clock()
        keys = (("name", name[:64]), ("address", address))
        with self._lock:
            self._bound(now)
            counts = [self._count(key, now) for key in keys]
            locking = max(counts, key=lambda count: count.locked_until)
            wait = locking.locked_until - now
            if wait > 0:
                if locking.reported != locking.locked_until:
                    locking.reported = locking.locked_until
                    log.warning("sign-in refused for %r from %s: locked for %.0f more s (further refusals "
                                "during this lock are not logged)", name[:64], address, wait)
                raise Locked(wait)
            before = tuple(count.locked_until for count in counts)
            for key, count in zip(keys, counts, strict=True):
                count.failures += 1
                count.last = now
                free = FREE_PER_NAME if key[0] == "name" else FREE_PER_ADDRESS
                if count.failures >= free:
                    seconds = min(BASE_S * 2 ** (count.failures - free), MAX_S)
                    count.locked_until = now + seconds
                    log.warning("sign-in locked for %.0f s after %d failed attempts for %s %r", seconds,
                                count.failures, *key)
        return Attempt(keys, before)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt was right: the name starts afresh; the address loses that one failure and its lock."""
        (name_key, address_key), (_, address_lock) = attempt.keys, attempt.locks_before
        with self._lock:
            self._counts.pop(name_key, None)
            count = self._counts.get(address_key)
            if count is not None:
                count.failures = max(count.failures - 1, 0)
                count.locked_until = address_lock

    def _count(self, key: tuple[str, str], now: float) -> _Count:
        count = self._counts.get(key)
        if count is None or (now - count.last >= FORGET_S and count.locked_until <= now):
            count = self._counts[key] = _Count()
        return count

    def _bound(self, now: float) -> None:
        if len(self._counts) < _MAX_KEYS:
            return
        for key in [k for k, c in self._counts.items() if now - c.last >= FORGET_S and c.locked_until <= now]:
            del self._counts[key]
        if len(self._counts) >= _MAX_KEYS:  # a flood of fresh names: keep the address counts, drop the names'
            for key in [k for k in self._counts if k[0] == "name"]:
                del self._counts[key]
