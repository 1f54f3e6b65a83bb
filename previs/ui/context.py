"""What every tab gets: the studio, who is acting, and the one wrapper that every event handler goes through.

A tab writes its handler as ``fn(actor, *widget_values)`` and registers ``ui.handler(fn)`` with Gradio. The
wrapper takes the logged-in user from ``gr.Request``, maps it to an ``Actor`` (name and role from the users file,
or the local admin when the studio runs without login), and turns errors into messages: a ``PrevisError`` shows
its own message (HTML-escaped: Gradio renders messages as HTML, and they can quote user input); anything
else is logged with its traceback and shown as a short message with a reference.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

import gradio as gr

from previs.access.permissions import Actor
from previs.access.users import UserDirectory, UsersFileWatch
from previs.app.studio import Studio
from previs.errors import PermissionDenied, PrevisError
from previs.generation.limits import StepReport

log = logging.getLogger("previs.ui")

P = ParamSpec("P")
R = TypeVar("R")

# The default of a handler's ``progress`` parameter: a marker, for which Gradio passes a fresh tracker per call.
PROGRESS = gr.Progress()
BATCHED_GENERATION_SLOTS = 4
GENERATION = "generator"  # the queue's concurrency group for events that run the model (generation_slots)
LOCAL_USER = "(no login)"  # the login gate's name for requests while there is no login; no user can have it


@dataclass(frozen=True)
class UiContext:
    studio: Studio
    users: UserDirectory | None = None  # None: one local user (the studio's admin), no login
    watch: UsersFileWatch | None = None  # started without users: login turns on when the file gets some
    _stops: dict[str, threading.Event] = field(default_factory=dict, repr=False)  # per user: Stop pressed

    def stop_flag(self, actor: Actor) -> threading.Event:
        """A fresh flag for the run ``actor`` starts now; their Stop button sets it (``stop``)."""
        flag = self._stops[actor.name] = threading.Event()
        return flag

    def stop(self, actor: Actor) -> None:
        """Stop the generation ``actor`` started last, at its next step."""
        if (flag := self._stops.get(actor.name)) is not None:
            flag.set()

    def directory(self) -> UserDirectory | None:
        """The users whose login the page asks for now, or None while there is no login."""
        if self.users is not None:
            return self.users
        return self.watch.directory() if self.watch is not None else None

    @property
    def login_required(self) -> bool:
        return self.directory() is not None

    @property
    def generation_slots(self) -> int:
        """How many model-running events the queue lets through at once: one, or with PREVIS_BATCHING enough
        for the generator to merge compatible requests (its lock still runs one pipeline call at a time)."""
        return BATCHED_GENERATION_SLOTS if self.studio.models.batching else 1

    def actor(self, request: gr.Request | None) -> Actor:
        """Who is acting for this request: the logged-in user with their role now, or the local admin."""
        users = self.directory()
        if users is None:
            return self.studio.local_actor
        username = getattr(request, "username", None)
        if not username or (self.users is None and username == LOCAL_USER):
            raise PermissionDenied("sign in first: this studio requires a login (reload the page to sign in)")
        return users.actor(username)

    def handler(self, fn: Callable[Concatenate[Actor, P], R]) -> Callable[..., R]:
        """Wrap ``fn(actor, *inputs)`` as a Gradio event function taking ``(*inputs, request)``.

        Gradio sees ``fn``'s parameters (less ``actor``) plus ``request: gr.Request``, so it fills the request in,
        and a ``progress=PROGRESS`` default keeps working.
        """
        parameters = list(inspect.signature(fn).parameters.values())[1:]
        request_parameter = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        signature = inspect.Signature([*parameters, request_parameter])

        def event(*args: Any, **kwargs: Any) -> R:
            bound = signature.bind(*args, **kwargs)
            request = bound.arguments.pop("request", None)
            actor: Actor | None = None
            try:
                actor = self.actor(request)
                return fn(actor, **bound.arguments)  # type: ignore[call-arg]
            except gr.Error:
                raise
            except PrevisError as error:
                log.info("%s refused for %s: %s", fn.__name__, actor.name if actor else "?", error)
                raise gr.Error(html.escape(str(error), quote=False), print_exception=False) from None
            except Exception:
                reference = secrets.token_hex(4)
                log.exception("%s failed for %s (reference %s)", fn.__name__, actor.name if actor else "?",
                              reference)
                raise gr.Error(f"Something went wrong on the server (reference {reference}); "
                               "the studio's admin can find the details in its log.", print_exception=False) from None

        functools.update_wrapper(event, fn, assigned=("__module__", "__name__", "__qualname__", "__doc__"),
                                 updated=())
        event.__signature__ = signature  # type: ignore[attr-defined]
        event.__annotations__ = {"request": gr.Request}  # how Gradio knows to pass the request in
        return event


def step_report(stop: threading.Event, progress: gr.Progress, what: str) -> StepReport:
    """Each denoising step shown in the page's progress bar (Gradio's estimate follows the real steps); the
    Stop button's flag ends the run at the next step."""
    def report(done: int, total: int) -> bool:
        progress(done / total, desc=f"Step {done} of {total}: {what}")
        return not stop.is_set()
    return report
