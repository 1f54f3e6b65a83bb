"""UI sessions: who signed in, bound to the users file as it was then, with an idle and an absolute lifetime.

A session is a random token (the cookie's value) in this process's memory. It answers for its user only while
the users file still gives that user the credential (role and password hash digest, ``User.credential``) the
session was opened with, so removing a user, changing their role or their password ends every session of theirs
at its next request: pages, API calls, file downloads and uploads alike. A restart ends all sessions.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from previs.access.users import UserDirectory

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # seconds, monotonic


@dataclass
class _Session:
    name: str
    credential: str
    opened: float
    seen: float


class SessionStore:
    """Open, look up and end sessions; thread-safe (login checks run in worker threads)."""

    def __init__(self, users: UserDirectory, *, idle_s: float, max_s: float, clock: Clock = time.monotonic):
        self.users = users
        self.idle_s, self.max_s = idle_s, max_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def open(self, name: str) -> str:
        """A new session for ``name`` (already authenticated); its token."""
        credential = self.users.credential(name)
        if credential is None:
            raise LookupError(name)  # removed between the password check and now
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            self._sessions[token] = _Session(name, credential, now, now)
        return token

    def user(self, token: str | None) -> str | None:
        """The user a token signs in now, or None (unknown, expired, or the user's credential changed)."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            why = self._ended(session, now)
            if why:
                del self._sessions[token]
                log.info("session of %s ended: %s", session.name, why)
                return None
            session.seen = now
            return session.name

    def end(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def _ended(self, session: _Session, now: float) -> str | None:
        if now - session.opened >= self.max_s:
            return "it reached its maximum lifetime (PREVIS_SESSION_MAX_HOURS)"
        if now - session.seen >= self.idle_s:
            return "it was idle too long (PREVIS_SESSION_IDLE_MINUTES)"
        credential = self.users.credential(session.name)
        if credential is None:
            return "the user was removed"
        if credential != session.credential:
            return "the user's password or role changed"
        return None

    def _drop_expired(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items()
                      if now - s.opened >= self.max_s or now - s.seen >= self.idle_s]:
            del self._sessions[token]
