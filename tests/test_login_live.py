"""Login follows the users file while the app runs (#22 item 2): a real `python app.py` process, started without
users, asks for a sign-in as soon as a user is added, with no restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from previs.access.users import add_user
from tests.ui_support import PASSWORD, free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_without_users(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    home = tmp_path / "home"
    env = {**os.environ, "PREVIS_HOME": str(home), "PREVIS_MODEL": "previs-tiny", "PREVIS_DEVICE": "cpu",
           "PREVIS_MODELS_DIR": str(models_dir), "GRADIO_SERVER_PORT": str(port), "PYTHONPATH": str(ROOT)}
    env.pop("PREVIS_USERS", None)
    output = (tmp_path / "app.out").open("w")
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=output,
                               stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            if process.poll() is not None:
                pytest.fail(f"app.py exited: {process.stderr.read() if process.stderr else ''}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        yield url, home / "users.toml"
        said = (tmp_path / "app.out").read_text()
        assert "previs studio: open http://127.0.0.1" in said and "share=True" not in said
    finally:
        process.terminate()
        process.wait(timeout=20)
        output.close()


def test_adding_a_user_to_a_running_app_turns_login_on(app_without_users: tuple[str, Path]) -> None:
    url, users_file = app_without_users
    status = Client(url, verbose=False).predict(api_name="/status")
    assert "No login" in status and "without a restart" in status

    add_user(users_file, "alice", PASSWORD, "art_director")

    page = httpx.get(url, timeout=10)
    assert "Sign in with the account your studio gave you" in page.text and "Scene description" not in page.text
    assert httpx.get(url + "gradio_api/info", timeout=10).status_code == 401
    signed_in = Client(url, auth=("alice", PASSWORD), verbose=False).predict(api_name="/status")
    assert "Signed in as **alice** (art director)" in signed_in and "No login" not in signed_in


def test_login_stays_on_when_the_users_file_is_removed(app_without_users: tuple[str, Path]) -> None:
    url, users_file = app_without_users
    add_user(users_file, "alice", PASSWORD, "art_director")
    assert httpx.get(url + "gradio_api/info", timeout=10).status_code == 401
    users_file.unlink()
    assert httpx.get(url + "gradio_api/info", timeout=10).status_code == 401  # not open to all as the admin
