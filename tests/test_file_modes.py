"""The data directory is its user's alone: 0700, files 0600, whatever umask previs was started with."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from previs.app.requests import FrameRequest
from previs.app.studio import open_studio
from previs.generation.generator import Generator
from previs.settings import Settings


def _modes(home: Path) -> dict[str, int]:
    return {str(path.relative_to(home)): stat.S_IMODE(path.lstat().st_mode) for path in [home, *home.rglob("*")]
            if not path.is_symlink() and "models" not in path.relative_to(home).parts}


def test_every_file_and_folder_previs_writes_is_private_whatever_the_umask(settings: Settings,
                                                                          tiny_generator: Generator) -> None:
    previous = os.umask(0o022)  # a usual login umask: files 0644, folders 0755
    try:
        settings.home.mkdir(mode=0o755)
        (settings.home / "previs.db").touch(mode=0o644)  # as older previs left it (an empty database)
        os.chmod(settings.home / "previs.db", 0o644)
        studio = open_studio(settings, generator=tiny_generator)
        studio.frames.generate(FrameRequest("harbour at dawn", seed=1, steps=1, width=64, height=64),
                               actor=studio.local_actor)
        studio.close()
    finally:
        os.umask(previous)
    modes = _modes(settings.home)
    assert {"previs.db", "studio.json", "ledger.head", "signing"} <= set(modes)
    assert any(name.startswith("frames/") for name in modes)
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}, "readable by other local users"
