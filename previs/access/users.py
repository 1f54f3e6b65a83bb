"""The studio's users: names, roles and scrypt password hashes in a TOML file the studio keeps.

The file is ``users.toml`` in the data directory, or wherever ``PREVIS_USERS`` points. Without it the UI runs
for one local user without login; with it, login is on and every request acts as the logged-in user's role.

    [users.alice]
    role = "art_director"
    password = "scrypt:32768:8:1$<salt, base64>$<hash, base64>"

Passwords are never stored: only a salted scrypt hash, compared in constant time. The file is re-read when it
changes, so adding a user or changing a role needs no restart. Each user's ``credential`` is a digest of their
name, role and password hash: a UI session remembers the one it was opened with, so removing the user, changing
their role or their password ends their sessions at the next request (``previs/access/sessions.py``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from previs.access.permissions import Actor, Role, parse_role
from previs.errors import InvalidRequest, NotFound, PermissionDenied

log = logging.getLogger(__name__)

USERS_FILE = "users.toml"
ADD_USER_HINT = "add one with `previs users add NAME --role ROLE`"
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# scrypt cost: 32 MiB and ~0.1 s per check here; stored with each hash, so raising it later keeps old hashes valid.
_N, _R, _P = 2**15, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=256 * r * n)


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password``, with its cost parameters, as one string."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _N, _R, _P)
    return f"scrypt:{_N}:{_R}:{_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by ``hash_password``; malformed hashes never match."""
    try:
        scheme, salt, digest = stored.split("$")
        name, n, r, p = scheme.split(":")
        if name != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _decoy_hash() -> str:
    """Checked for unknown names, so the time a login takes does not tell whether the name exists."""
    return hash_password(secrets.token_urlsafe(16))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str = field(repr=False)

    @property
    def credential(self) -> str:
        """Changes whenever the user's role or password does: what a session is bound to."""
        return hashlib.sha256(f"{self.name}\0{self.role.value}\0{self.password_hash}".encode()).hexdigest()


def users_path(home: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Where the users file is: ``PREVIS_USERS`` if set, else ``users.toml`` in the data directory."""
    env = os.environ if environ is None else environ
    return Path(env["PREVIS_USERS"]).expanduser() if env.get("PREVIS_USERS") else home / USERS_FILE


def read_users(path: Path) -> dict[str, User]:
    """Every user in the file; a malformed file is an error that names the file and the entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidRequest(f"cannot read the users file {path} ({error.strerror})") from error
    return _parse(text, path)


def _parse(text: str, path: Path) -> dict[str, User]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidRequest(f"the users file {path} is not valid TOML: {error}") from error
    entries = document.get("users", {})
    if not isinstance(entries, dict):
        raise InvalidRequest(f"the users file {path} must hold [users.NAME] tables")
    users = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str) or "role" not in entry:
            raise InvalidRequest(f"user {name!r} in {path} needs a role and a password hash; {ADD_USER_HINT}")
        try:
            users[name] = User(_check_name(name), parse_role(str(entry["role"])), entry["password"])
        except InvalidRequest as error:
            raise InvalidRequest(f"{path}: {error}") from None
    return users


def add_user(path: Path, name: str, password: str, role: Role | str, *, replace: bool = False) -> User:
    """Add a user (or, with ``replace``, change one's password and role); the file is created if missing.

    The file is rewritten whole, atomically, readable by its owner only.
    """
    user = User(_check_name(name), role if isinstance(role, Role) else parse_role(role), _checked_hash(password))
    users = read_users(path) if path.exists() else {}
    if user.name in users and not replace:
        raise InvalidRequest(f"user {user.name!r} already exists in {path}: pick another name or replace it")
    users[user.name] = user
    _write(path, users)
    return user


def set_password(path: Path, name: str, password: str) -> User:
    """Give an existing user a new password, keeping their role; their open sessions end."""
    users = read_users(path) if path.exists() else {}
    if name not in users:
        raise NotFound(f"no user {name!r} in {path}: {ADD_USER_HINT}")
    users[name] = user = User(name, users[name].role, _checked_hash(password))
    _write(path, users)
    return user


def remove_user(path: Path, name: str) -> None:
    """Remove a user; their open sessions stop working at their next request."""
    users = read_users(path) if path.exists() else {}
    if users.pop(name, None) is None:
        raise NotFound(f"no user {name!r} in {path}")
    _write(path, users)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidRequest(f"user name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit")
    return name


def _checked_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    return hash_password(password)


def _write(path: Path, users: Mapping[str, User]) -> None:
    lines = ["# previs users: passwords are salted scrypt hashes. Roles: " + ", ".join(r.value for r in Role), ""]
    for user in sorted(users.values(), key=lambda u: u.name):
        lines += [f"[users.{json.dumps(user.name)}]", f"role = {json.dumps(user.role.value)}",
                  f"password = {json.dumps(user.password_hash)}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".users-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("\n".join(lines))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class UserDirectory:
    """The users file as the running app sees it: re-read whenever it changes on disk."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._text: bytes | None = None
        self._users: dict[str, User] = {}
        if not self._current():
            raise InvalidRequest(f"the users file {path} has no users: {ADD_USER_HINT}")

    @classmethod
    def configured(cls, home: Path, environ: Mapping[str, str] | None = None) -> UserDirectory | None:
        """The studio's users, or None when no users file exists (one local user, no login).

        A ``PREVIS_USERS`` that points at a missing file is an error, never a silent switch to no login.
        """
        env = os.environ if environ is None else environ
        path = users_path(home, env)
        if not path.exists():
            if env.get("PREVIS_USERS"):
                raise InvalidRequest(f"PREVIS_USERS names {path}, which does not exist: {ADD_USER_HINT}")
            return None
        return cls(path)

    def _current(self) -> dict[str, User]:
        # The bytes, not the file's times, tell a change: a password change within the same clock tick keeps the
        # size, the mtime and (the old inode freed) possibly the inode, and must still end sessions at once.
        with self._lock:
            try:
                text = self.path.read_bytes()
            except OSError:
                return {}  # removed while running: nobody may log in until it is back
            if text != self._text:
                try:
                    self._users = _parse(text.decode("utf-8", errors="replace"), self.path)
                except InvalidRequest as error:  # broken by a hand edit: nobody gets in until it is fixed
                    if self._text is None:
                        raise
                    log.error("%s; refusing every login until it is fixed", error)
                    self._users = {}
                self._text = text
            return self._users

    def authenticate(self, name: str, password: str) -> bool:
        """Whether the name and password match a user; as slow for unknown names as for known ones."""
        user = self._current().get(name)
        matched = verify_password(password, user.password_hash if user else _decoy_hash())
        return matched and user is not None

    def credential(self, name: str) -> str | None:
        """The user's credential as the file says now; None when there is no such user any more."""
        user = self._current().get(name)
        return user.credential if user else None

    def actor(self, name: str) -> Actor:
        """The actor a logged-in name stands for, with the role the file gives it now."""
        user = self._current().get(name)
        if user is None:
            raise PermissionDenied(f"{name} is no longer a previs user: ask the studio's admin")
        return Actor(user.name, user.role)


class UsersFileWatch:
    """The users file of a studio started without one: login turns on, without a restart, once it holds a user.

    It never turns off again while the app runs: a users file deleted or emptied later locks everyone out
    (``UserDirectory``), it does not open the page to all as the admin.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._directory: UserDirectory | None = None

    def directory(self) -> UserDirectory | None:
        """The users once the file has any (a stat per call until then), else None: no login yet."""
        with self._lock:
            if self._directory is None and self.path.exists():
                try:
                    self._directory = UserDirectory(self.path)
                    log.warning("login is on: %s now has users", self.path)
                except InvalidRequest as error:  # empty, or half-written by an editor: still no login
                    log.info("%s is not usable yet: %s", self.path, error)
            return self._directory
