"""Serving the page: where it listens, whether login is on, and what Gradio may serve."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from previs.access.lockout import Lockout
from previs.access.users import UserDirectory, UsersFileWatch, users_path
from previs.app.studio import Studio
from previs.errors import InvalidRequest
from previs.media.uploads import MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES
from previs.ui.context import UiContext
from previs.ui.guard import HostPolicy, RequestGuard
from previs.ui.login import LiveSessions, LoginGate, signed_in_user
from previs.ui.shell import KEYBOARD, build_ui, no_login_notice
from previs.ui.tabs import TABS, TabSpec
from previs.ui.withdrawn import CACHE_FOLDER, CacheSweeper, WithdrawnFilesGuard

log = logging.getLogger("previs.ui")

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860

MAX_UPLOAD_BYTES = max(MAX_IMAGE_BYTES, MAX_DOCUMENT_BYTES)  # the largest file any previs check accepts


def server_address(environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """GRADIO_SERVER_NAME and GRADIO_SERVER_PORT, defaulting to localhost:7860."""
    env = os.environ if environ is None else environ
    host = env.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port = env.get("GRADIO_SERVER_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidRequest(f"GRADIO_SERVER_PORT={port!r} is not a port number: use 1-65535, e.g. 7860")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _private_cache(studio: Studio) -> Path | None:
    """Gradio's cache for this app inside the data directory (0700), where withdrawn frames' copies are
    swept; None for a read-only data directory (it generates nothing, Gradio's default cache serves it)."""
    if studio.database.read_only is not None:
        return None
    cache = studio.data_directory / CACHE_FOLDER
    cache.mkdir(mode=0o700, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)  # read by the page and its server as they are built, below
    return cache


def serve(studio: Studio, *, users: UserDirectory | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          block: bool = True, quiet: bool = False, tabs: Sequence[TabSpec] = TABS) -> gr.Blocks:
    """Build the page and start serving it; with ``block=False`` it returns once the server is up.

    Without users only a loopback address is allowed: a page without login must not be open to the network;
    login then turns on, without a restart, once the users file has a user (``UsersFileWatch``). Every request
    passes the Host and Origin checks (``guard.py``) and the login gate.
    """
    watch = None if users is not None else UsersFileWatch(users_path(studio.data_directory))
    ui = UiContext(studio, users, watch)
    settings = studio.settings
    middleware = [Middleware(RequestGuard, policy=HostPolicy(settings.allowed_hosts, served_on=host))]
    if users is None:
        if not is_loopback(host):
            raise InvalidRequest(f"refusing to serve on {host} without login: {no_login_notice(ui)} "
                                 "Or leave GRADIO_SERVER_NAME unset to serve on this machine only.")
        log.warning(no_login_notice(ui))
    else:
        log.info("login is on: users from %s", users.path)
    sessions = LiveSessions(ui.directory, idle_s=settings.session_idle_minutes * 60,
                            max_s=settings.session_max_hours * 3600)
    middleware.append(Middleware(LoginGate, sessions=sessions, lockout=Lockout()))
    withdrawn_among = studio.frames.withdrawn_files
    cache = _private_cache(studio)
    if cache is not None:
        middleware.append(Middleware(WithdrawnFilesGuard, withdrawn_among=withdrawn_among, cache=cache))
        CacheSweeper(cache, withdrawn_among).start()
    page = build_ui(studio, users=users, watch=watch, tabs=tabs)
    page.launch(
        server_name=host, server_port=port, prevent_thread_lock=True,
        quiet=True,  # Gradio's own lines advise share=True, which a private studio must never use
        auth_dependency=signed_in_user,
        allowed_paths=[str(studio.served_directory)],
        max_file_size=MAX_UPLOAD_BYTES,  # Gradio refuses a bigger upload before writing any of it to disk
        app_kwargs={"middleware": middleware},  # the first listed runs first: the guard, then the gate
        head=KEYBOARD, show_error=False, run_history=False, enable_monitoring=False, mcp_server=False, ssr_mode=False,
    )
    if not quiet:
        print(f"previs studio: open {page.local_url} in a browser (Ctrl+C stops it)", flush=True)
    if block:
        page.block_thread()
    return page
