"""The users file: scrypt hashes, roles, and a directory that follows the file while the app runs."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from previs.access.permissions import Actor, Role
from previs.access.users import (
    UserDirectory,
    add_user,
    hash_password,
    read_users,
    remove_user,
    set_password,
    users_path,
    verify_password,
)
from previs.cli import main
from previs.errors import InvalidRequest, NotFound, PermissionDenied

PASSWORD = "correct horse battery"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "users.toml"


def test_hashes_are_salted_scrypt_and_verify_only_the_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt:") and first != second and PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt:1:8:1$$", "md5:1:1:1$AAAA$AAAA", "scrypt:x:8:1$AA==$AA=="])
def test_malformed_hashes_never_match(stored: str) -> None:
    assert not verify_password(PASSWORD, stored)


def test_added_users_are_stored_with_role_and_hash_only(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "Art Director")
    add_user(path, "pat", PASSWORD, Role.PRODUCER)
    users = read_users(path)
    assert {name: user.role for name, user in users.items()} == {"alice": Role.ART_DIRECTOR, "pat": Role.PRODUCER}
    assert PASSWORD not in path.read_text() and verify_password(PASSWORD, users["alice"].password_hash)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "password_hash" not in repr(users["alice"])


def test_adding_an_existing_user_needs_replace(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "art_director")
    with pytest.raises(InvalidRequest, match="user 'alice' already exists"):
        add_user(path, "alice", "another password", "admin")
    add_user(path, "alice", "another password", "admin", replace=True)
    user = read_users(path)["alice"]
    assert user.role is Role.ADMIN and verify_password("another password", user.password_hash)


@pytest.mark.parametrize(("name", "password", "role", "message"), [
    ("al ice", PASSWORD, "admin", "user name 'al ice' is not allowed"),
    ("-x", PASSWORD, "admin", "user name '-x' is not allowed"),
    ('a"]\n[users.b', PASSWORD, "admin", "is not allowed"),
    ("alice", "short", "admin", "the password is too short: use at least 8"),
    ("alice", PASSWORD, "director", "unknown role 'director'"),
])
def test_bad_users_are_refused_and_nothing_is_written(path: Path, name: str, password: str, role: str,
                                                      message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        add_user(path, name, password, role)
    assert not path.exists()


def test_removing_a_user(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "admin")
    add_user(path, "pat", PASSWORD, "producer")
    remove_user(path, "alice")
    assert list(read_users(path)) == ["pat"]
    with pytest.raises(NotFound, match="no user 'alice'"):
        remove_user(path, "alice")


@pytest.mark.parametrize(("text", "message"), [
    ("[users.alice\n", "is not valid TOML"),
    ('[users.alice]\nrole = "admin"\n', "user 'alice' in .* needs a role and a password hash"),
    ('[users.alice]\nrole = "boss"\npassword = "x"\n', "unknown role 'boss'"),
    ('users = "x"\n', "must hold \\[users.NAME\\] tables"),
])
def test_a_malformed_file_names_the_problem(path: Path, text: str, message: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(InvalidRequest, match=message):
        read_users(path)


def test_the_file_is_in_the_data_directory_unless_previs_users_says_otherwise(tmp_path: Path) -> None:
    assert users_path(tmp_path, {}) == tmp_path / "users.toml"
    assert users_path(tmp_path, {"PREVIS_USERS": "/etc/previs/users.toml"}) == Path("/etc/previs/users.toml")


def test_no_users_file_means_no_login_but_a_named_missing_file_is_an_error(tmp_path: Path) -> None:
    assert UserDirectory.configured(tmp_path, {}) is None
    with pytest.raises(InvalidRequest, match=r"PREVIS_USERS names .*missing\.toml, which does not exist"):
        UserDirectory.configured(tmp_path, {"PREVIS_USERS": str(tmp_path / "missing.toml")})


def test_a_users_file_without_users_is_an_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("# nobody yet\n")
    with pytest.raises(InvalidRequest, match="has no users"):
        UserDirectory(path)


def test_directory_authenticates_and_maps_names_to_actors(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "costume_designer")
    users = UserDirectory.configured(path.parent, {})
    assert users is not None
    assert users.authenticate("alice", PASSWORD)
    assert not users.authenticate("alice", "wrong password") and not users.authenticate("bob", PASSWORD)
    assert users.actor("alice") == Actor("alice", Role.COSTUME_DESIGNER)


def test_directory_follows_the_file_while_running(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "art_director")
    users = UserDirectory(path)
    add_user(path, "alice", PASSWORD, "producer", replace=True)
    add_user(path, "bob", PASSWORD, "admin")
    assert users.actor("alice").role is Role.PRODUCER and users.authenticate("bob", PASSWORD)
    remove_user(path, "alice")
    with pytest.raises(PermissionDenied, match="alice is no longer a previs user"):
        users.actor("alice")


def test_a_file_broken_while_running_lets_nobody_in(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "admin")
    users = UserDirectory(path)
    path.write_text("[users.alice\n")
    assert not users.authenticate("alice", PASSWORD)
    with pytest.raises(PermissionDenied):
        users.actor("alice")


def test_the_credential_changes_with_the_password_or_the_role_and_only_then(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "art_director")
    users = UserDirectory(path)
    first = users.credential("alice")
    add_user(path, "bob", PASSWORD, "admin")
    assert first is not None and users.credential("alice") == first  # another user's change is not alice's
    set_password(path, "alice", "another password")
    after_password = users.credential("alice")
    assert after_password != first and users.actor("alice").role is Role.ART_DIRECTOR
    assert users.authenticate("alice", "another password") and not users.authenticate("alice", PASSWORD)
    add_user(path, "alice", "another password", "producer", replace=True)
    assert users.credential("alice") not in (first, after_password)
    remove_user(path, "alice")
    assert users.credential("alice") is None


def test_every_password_change_is_seen_at_once(path: Path) -> None:
    """Same size, same clock tick, maybe the same inode: the directory still sees each change."""
    add_user(path, "alice", PASSWORD, "admin")
    users = UserDirectory(path)
    for n in range(8):
        before = users.credential("alice")
        set_password(path, "alice", f"password {n:04d}")
        assert users.credential("alice") != before


def test_setting_the_password_of_nobody_or_a_short_one_is_refused(path: Path) -> None:
    add_user(path, "alice", PASSWORD, "admin")
    with pytest.raises(NotFound, match="no user 'bob'"):
        set_password(path, "bob", PASSWORD)
    with pytest.raises(InvalidRequest, match="too short"):
        set_password(path, "alice", "short")
    assert verify_password(PASSWORD, read_users(path)["alice"].password_hash)


def test_previs_users_password_changes_it_from_stdin(path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    add_user(path, "alice", PASSWORD, "costume_designer")
    monkeypatch.setenv("PREVIS_HOME", str(path.parent))
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    assert main(["users", "password", "alice", "--password-stdin"]) == 0
    assert "password of alice changed" in capsys.readouterr().out
    user = read_users(path)["alice"]
    assert verify_password("a brand new password", user.password_hash) and user.role is Role.COSTUME_DESIGNER
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    assert main(["users", "password", "bob", "--password-stdin"]) == 1
    assert capsys.readouterr().err.startswith("error: no user 'bob'")
