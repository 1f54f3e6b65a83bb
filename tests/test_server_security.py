"""The served studio against a hostile web page and a hostile colleague (issue #17, items 4, 5, 6 and 10).

Every test talks HTTP (httpx, gradio_client) to a real app served by ``previs.ui.serve``: DNS rebinding and
foreign origins refused in both modes, security headers and SameSite cookies, sessions that end when the user is
removed, changes role or password, or stays idle, and the sign-in lockout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_client import Client

from previs.access.lockout import Locked, Lockout
from previs.access.sessions import SessionStore
from previs.access.users import UserDirectory, add_user, remove_user, set_password
from previs.app.requests import FrameRequest
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from previs.settings import Settings
from previs.ui import serve
from previs.ui.server import MAX_UPLOAD_BYTES
from tests.ui_support import PASSWORD, free_port, project

EVIL = "evil.example"


def served(studio: Studio, users: UserDirectory | None, **settings: Any) -> tuple[gr.Blocks, str]:
    """The studio served on a free port, with some of its settings changed; the page and its URL."""
    if settings:
        studio = dataclasses.replace(studio, settings=dataclasses.replace(studio.settings, **settings))
    page = serve(studio, users=users, port=free_port(), block=False, quiet=True)
    return page, page.local_url


def call(url: str, api: str, data: list[object], **headers: str) -> httpx.Response:
    """An event through Gradio's REST route, as a web page's fetch would send it; waits for its result."""
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        started = http.post(f"gradio_api/call/{api}", json={"data": data})
        if started.status_code == 200:
            http.get(f"gradio_api/call/{api}/{started.json()['event_id']}").raise_for_status()
        return started


def performer() -> str:
    return "Zoe Q" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8])


# -- without login: the local admin's page must not answer a web page -----------------------------------------


@pytest.fixture(scope="module")
def local_url(ui_studio: Studio) -> Iterator[str]:
    page, url = served(ui_studio, None)
    yield url
    page.close()


def performers(url: str) -> list[str]:
    return [p["name"] for p in Client(url, verbose=False).predict(api_name="/consent_performers")]


def test_a_rebinding_page_is_refused_without_login(local_url: str) -> None:
    port = local_url.rstrip("/").rsplit(":", 1)[1]
    person, control = performer(), performer()
    refused = call(local_url, "add_performer", [person, "", ""], Host=f"{EVIL}:{port}")
    assert refused.status_code == 403 and EVIL in refused.json()["detail"]
    assert httpx.get(local_url, headers={"Host": f"{EVIL}:{port}"}).status_code == 403
    assert call(local_url, "add_performer", [control, "", ""], Host=f"localhost:{port}").status_code == 200
    names = performers(local_url)
    assert control in names and person not in names


@pytest.mark.parametrize("headers", [
    {"Origin": f"http://{EVIL}"}, {"Origin": "null"}, {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_a_foreign_origin_is_refused_without_login(local_url: str, headers: dict[str, str]) -> None:
    person = performer()
    refused = call(local_url, "add_performer", [person, "", ""], **headers)
    assert refused.status_code == 403 and "refused" in refused.json()["detail"]
    assert person not in performers(local_url)


def test_the_page_itself_may_call_its_own_server(local_url: str) -> None:
    person = performer()
    own = local_url.rstrip("/")
    assert call(local_url, "add_performer", [person, "", ""], Origin=own,
                **{"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert person in performers(local_url)


@pytest.mark.parametrize("path", ["", "config", "gradio_api/info", "no/such/route"])
def test_every_response_forbids_framing_and_sniffing(local_url: str, path: str) -> None:
    headers = httpx.get(local_url + path).headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_configured_host_names_are_answered(ui_studio: Studio) -> None:
    page, url = served(ui_studio, None, allowed_hosts=("previs.studio.lan",))
    try:
        port = url.rstrip("/").rsplit(":", 1)[1]
        assert httpx.get(url, headers={"Host": f"previs.studio.lan:{port}"}).status_code == 200
        assert httpx.get(url, headers={"Host": f"{EVIL}:{port}"}).status_code == 403
    finally:
        page.close()


# -- with login -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def users(users_file: Path) -> UserDirectory:
    return UserDirectory(users_file)


@pytest.fixture(scope="module")
def login_url(ui_studio: Studio, users: UserDirectory) -> Iterator[str]:
    page, url = served(ui_studio, users)
    yield url
    page.close()


@contextlib.contextmanager
def signed_in(url: str, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A browser-like client holding the session cookie of a fresh sign-in."""
    with httpx.Client(base_url=url, timeout=60) as browser:
        answer = browser.post("login", data={"username": name, "password": password})
        assert answer.status_code == 200, answer.text
        yield browser


def newcomer(users_file: Path, role: str = "producer") -> str:
    name = f"u-{uuid.uuid4().hex[:8]}"
    add_user(users_file, name, PASSWORD, role)
    return name


def test_the_session_cookie_is_httponly_and_samesite_lax(login_url: str) -> None:
    answer = httpx.post(login_url + "login", data={"username": "alice", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # served over http
    assert "samesite=none" not in cookie


def test_login_csrf_and_rebinding_are_refused_with_login(login_url: str) -> None:
    port = login_url.rstrip("/").rsplit(":", 1)[1]
    form = {"username": "alice", "password": PASSWORD}
    csrf = httpx.post(login_url + "login", data=form, headers={"Origin": f"http://{EVIL}"})
    assert csrf.status_code == 403 and "set-cookie" not in csrf.headers
    with signed_in(login_url, "alice") as browser:
        assert browser.get("gradio_api/info", headers={"Host": f"{EVIL}:{port}"}).status_code == 403
        assert browser.post("gradio_api/call/status", json={"data": []},
                            headers={"Origin": f"http://{EVIL}"}).status_code == 403


def test_the_sign_in_page_may_not_be_framed(login_url: str) -> None:
    page = httpx.get(login_url)
    assert 'id="sign-in"' in page.text and page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_removed_users_session_no_longer_downloads_or_uploads(login_url: str, users_file: Path,
                                                                 ui_studio: Studio) -> None:
    name = newcomer(users_file)
    frame = ui_studio.frames.generate(FrameRequest(prompt="foggy pier", project=project(), steps=2, width=256,
                                                   height=256), actor=ui_studio.local_actor)[0]
    with signed_in(login_url, name) as browser:
        assert browser.get(f"gradio_api/file={frame.path}").status_code == 200
        assert browser.post("gradio_api/upload", files={"files": ("a.txt", b"hello")}).status_code == 200
        remove_user(users_file, name)
        assert browser.get(f"gradio_api/file={frame.path}").status_code == 401
        assert browser.post("gradio_api/upload", files={"files": ("a.txt", b"hello")}).status_code == 401
        assert browser.get("gradio_api/info").status_code == 401


def test_a_password_change_ends_the_sessions_opened_before(login_url: str, users_file: Path) -> None:
    name = newcomer(users_file)
    client = Client(login_url, auth=(name, PASSWORD), verbose=False)
    assert name in client.predict(api_name="/status")
    with signed_in(login_url, name) as browser:
        set_password(users_file, name, "a new password")
        assert browser.get("gradio_api/info").status_code == 401
    with pytest.raises(httpx.HTTPStatusError, match="401 Unauthorized"):
        client.predict(api_name="/status")
    assert httpx.post(login_url + "login", data={"username": name, "password": PASSWORD}).status_code == 400
    with signed_in(login_url, name, "a new password") as browser:
        assert browser.get("gradio_api/info").status_code == 200


def test_a_role_change_ends_the_users_sessions(login_url: str, users_file: Path) -> None:
    name = newcomer(users_file, "art_director")
    with signed_in(login_url, name) as browser:
        add_user(users_file, name, PASSWORD, "admin", replace=True)
        assert browser.get("gradio_api/info").status_code == 401


def test_signing_out_ends_the_session(login_url: str) -> None:
    with signed_in(login_url, "pat") as browser:
        token = dict(browser.cookies)
        assert browser.get("logout", follow_redirects=False).status_code == 302
        assert httpx.get(login_url + "gradio_api/info", cookies=token).status_code == 401


def test_an_idle_session_ends(ui_studio: Studio, users: UserDirectory) -> None:
    page, url = served(ui_studio, users, session_idle_minutes=1.5 / 60)
    try:
        with signed_in(url, "alice") as browser:
            assert browser.get("gradio_api/info").status_code == 200
            time.sleep(1.6)
            assert browser.get("gradio_api/info").status_code == 401
    finally:
        page.close()


def test_sessions_have_an_idle_and_an_absolute_lifetime(users: UserDirectory) -> None:
    now = [0.0]
    sessions = SessionStore(users, idle_s=60, max_s=300, clock=lambda: now[0])
    token = sessions.open("alice")
    for _ in range(5):  # in use every 50 s: never idle, but past its absolute lifetime at 300 s
        assert sessions.user(token) == "alice"
        now[0] += 50
    now[0] += 50
    assert sessions.user(token) is None
    idle = sessions.open("alice")
    now[0] += 61
    assert sessions.user(idle) is None and sessions.user("forged") is None


# -- the sign-in lockout ----------------------------------------------------------------------------------------


def attempt(url: str, name: str, password: str) -> httpx.Response:
    return httpx.post(url + "login", data={"username": name, "password": password})


def test_wrong_passwords_lock_the_name_for_a_growing_time_whatever_the_password(
        ui_studio: Studio, users: UserDirectory, caplog: pytest.LogCaptureFixture) -> None:
    page, url = served(ui_studio, users)
    try:
        with caplog.at_level(logging.WARNING, logger="previs.access.lockout"):
            assert [attempt(url, "pat", f"guess {n}").status_code for n in range(5)] == [400] * 5
            locked = attempt(url, "pat", PASSWORD)
            assert locked.status_code == 429 and locked.headers["retry-after"] == "2"
            assert "try again in 2 s" in locked.json()["detail"]
            assert attempt(url, "alice", PASSWORD).status_code == 200  # another name from the same address
            time.sleep(2.1)
            assert attempt(url, "pat", "guess 6").status_code == 400
            longer = attempt(url, "pat", PASSWORD)
            assert longer.status_code == 429 and longer.headers["retry-after"] == "4"
        logged = [r.getMessage() for r in caplog.records]
        assert any("locked for 2 s after 5 failed attempts for name 'pat'" in m for m in logged)
        assert any("refused for 'pat'" in m for m in logged)
    finally:
        page.close()


def test_guessing_many_names_from_one_address_locks_the_address(ui_studio: Studio, users: UserDirectory) -> None:
    page, url = served(ui_studio, users)
    try:
        assert {attempt(url, f"nobody-{n}", "guess").status_code for n in range(20)} == {400}
        refused = attempt(url, "alice", PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        with pytest.raises(ValueError, match="Could not login"):
            Client(url, auth=("pat", PASSWORD), verbose=False)
    finally:
        page.close()


def test_the_lockout_grows_to_its_cap_and_is_forgotten_an_hour_after_the_last_failure() -> None:
    now = [0.0]
    lockout = Lockout(clock=lambda: now[0])
    for _ in range(4):
        lockout.begin("pat", "10.0.0.1")  # the free attempts, all failed
    waits = []
    for _ in range(10):
        lockout.begin("pat", "10.0.0.1")  # one more failure...
        with pytest.raises(Locked) as locked:  # ...and the next attempt waits, twice as long each time
            lockout.begin("pat", "10.0.0.1")
        waits.append(locked.value.retry_after)
        now[0] += locked.value.retry_after
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 900.0]
    now[0] += 3600
    for _ in range(4):
        lockout.begin("pat", "10.0.0.1")  # forgotten: four free failures again


# -- the settings -----------------------------------------------------------------------------------------------


def test_the_server_settings_are_read_and_checked(tmp_path: Path) -> None:
    env = {"PREVIS_HOME": str(tmp_path), "PREVIS_ALLOWED_HOSTS": "Previs.Studio.lan, previs",
           "PREVIS_SESSION_IDLE_MINUTES": "30", "PREVIS_SESSION_MAX_HOURS": "8"}
    settings = Settings.from_env(env)
    assert settings.allowed_hosts == ("previs.studio.lan", "previs")
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30.0, 8.0)
    defaults = Settings.from_env({"PREVIS_HOME": str(tmp_path)})
    assert (defaults.allowed_hosts, defaults.session_idle_minutes, defaults.session_max_hours) == ((), 60.0, 12.0)
    with pytest.raises(InvalidRequest, match="PREVIS_ALLOWED_HOSTS: 'http://evil' is not a host name"):
        Settings.from_env({**env, "PREVIS_ALLOWED_HOSTS": "http://evil"})
    for name, value in (("PREVIS_SESSION_IDLE_MINUTES", "0"), ("PREVIS_SESSION_MAX_HOURS", "soon")):
        with pytest.raises(InvalidRequest, match=f"{name}='{value}' is not understood: give a positive number"):
            Settings.from_env({**env, name: value})


def test_an_upload_bigger_than_any_check_accepts_is_refused_before_it_reaches_the_disk(login_url: str) -> None:
    size = MAX_UPLOAD_BYTES + 1
    with signed_in(login_url, "alice") as http:  # this module's data directory has users by now: login is on
        refused = http.post("gradio_api/upload", files={"files": ("big.png", b"\0" * size)})
    assert refused.status_code in (400, 413), refused.text
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert not [path for path in cache.rglob("*") if path.is_file() and path.stat().st_size >= size]
