"""The `previs` command: JSON output, exit codes, one-line errors, help text on every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from previs.app.requests import FrameRequest
from previs.cli import app, main
from previs.settings import Settings


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """A separate process each time, as a user runs it (so a second call is a restart)."""
    env = {**os.environ, "PREVIS_HOME": str(settings.home), "PREVIS_MODELS_DIR": str(settings.models_dir),
           "PREVIS_DEVICE": "cpu", "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "previs", *args], capture_output=True, text=True, env=env,
                          timeout=180, check=False)


def test_generate_twice_gives_the_same_picture_and_frames_lists_both(settings: Settings, tiny_generator) -> None:
    command = ("generate", "--prompt", "abandoned observatory, dusk", "--seed", "7", "--size", "64x64", "--json")
    first, second = run_cli(settings, *command), run_cli(settings, *command)
    assert first.returncode == 0, first.stderr
    made = [json.loads(first.stdout)[0], json.loads(second.stdout)[0]]
    assert {"id", "path", "sha256", "seed", "model"} <= made[0].keys()
    assert made[0]["sha256"] == made[1]["sha256"] and made[0]["seed"] == 7 and made[0]["model"] == "previs-tiny"
    listed = run_cli(settings, "frames", "--json")
    assert [frame["id"] for frame in json.loads(listed.stdout)] == [made[1]["id"], made[0]["id"]]


def in_process(settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch, *args: str):
    monkeypatch.setenv("PREVIS_HOME", str(settings.home))
    monkeypatch.setenv("PREVIS_MODELS_DIR", str(settings.models_dir))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_user_errors_are_one_line_with_exit_code_1(settings, capsys, monkeypatch) -> None:
    code, out, err = in_process(settings, capsys, monkeypatch, "generate", "--prompt", " ")
    assert code == 1 and out == ""
    assert err == "error: prompt is empty: describe what the frame should show, or pick a scene\n"
    code, _, err = in_process(settings, capsys, monkeypatch, "frames", "--project", "Ghost")
    assert code == 1 and err.startswith("error: no project named 'Ghost'") and err.count("\n") == 1


def test_usage_errors_exit_with_2(settings, capsys, monkeypatch) -> None:
    code, _, err = in_process(settings, capsys, monkeypatch, "generate", "--prompt", "x", "--size", "big")
    assert code == 2 and "WIDTHxHEIGHT" in err
    code, _, _ = in_process(settings, capsys, monkeypatch, "generate", "--count", "many")
    assert code == 2


def test_unavailable_model_is_a_clear_error(settings, capsys, monkeypatch) -> None:
    code, _, err = in_process(settings, capsys, monkeypatch, "--model", "sdxl", "generate", "--prompt", "x")
    assert code == 1 and "model 'sdxl'" in err and "To fix" in err and "Traceback" not in err
    code, _, err = in_process(settings, capsys, monkeypatch, "generate", "--model", "sdxl", "--prompt", "x")
    assert code == 1 and "model 'sdxl'" in err, "generate's own --model must be used"


def test_models_lists_presets_as_json(settings, capsys, monkeypatch) -> None:
    code, out, _ = in_process(settings, capsys, monkeypatch, "models", "--json")
    names = {item["name"]: item for item in json.loads(out)}
    assert code == 0 and {"previs-tiny", "sd15", "sdxl", "sdxl-turbo", "flux-schnell"} <= names.keys()
    assert names["previs-tiny"]["available_offline"] and names["previs-tiny"]["current"]


def test_every_command_and_option_has_help_text() -> None:
    command = typer.main.get_command(app)
    for name, sub in command.commands.items():
        assert sub.help, f"command {name} has no help"
        for parameter in sub.params:
            if parameter.name != "context":
                assert getattr(parameter, "help", None), f"{name} --{parameter.name} has no help"


def test_users_are_added_listed_and_removed(settings, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    code, out, err = in_process(settings, capsys, monkeypatch, "users", "add", "priya", "--role", "producer",
                                "--password-stdin")
    assert code == 0, err
    code, out, _ = in_process(settings, capsys, monkeypatch, "users", "list", "--json")
    assert json.loads(out) == [{"name": "priya", "role": "producer"}]
    assert "s3cret" not in (settings.home / "users.toml").read_text()
    code, _, err = in_process(settings, capsys, monkeypatch, "users", "add", "bob", "--role", "boss",
                              "--password-stdin")
    assert code == 1 and "unknown role" in err
    code, _, _ = in_process(settings, capsys, monkeypatch, "users", "remove", "priya")
    assert code == 0


def test_a_lost_database_is_one_line_with_the_way_back_and_init_starts_over(settings, studio, capsys,
                                                                             monkeypatch) -> None:
    studio.frames.generate(FrameRequest("harbour at dawn", seed=1, steps=1, width=64, height=64),
                           actor=studio.local_actor)
    studio.close()
    (settings.home / "previs.db").unlink()
    code, out, err = in_process(settings, capsys, monkeypatch, "frames")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "is missing" in err and "`previs init --new-database`" in err and "Traceback" not in err
    code, out, err = in_process(settings, capsys, monkeypatch, "init", "--new-database")
    assert code == 0, err
    assert "set-aside-" in out and "0 frames" in out
    code, out, _ = in_process(settings, capsys, monkeypatch, "frames", "--json")
    assert code == 0 and json.loads(out) == []
