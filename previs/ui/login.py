"""The login gate: with login on, a request without a signed-in session reaches nothing but the sign-in page.

Gradio checks logins on its data routes, but its page at ``/`` embeds the API description for anyone, and a few
of its routes (heartbeat, cancel, stream, ...) check nothing. This ASGI middleware sits in front of all of them
and owns sign-in: it answers ``POST /login`` itself (the lockout first, then the password, then a session of
``previs/access/sessions.py`` in an HttpOnly, ``SameSite=Lax`` cookie, ``Secure`` over https) and ``/logout``.
A request with a live session goes on with the user's name in the scope (``USER_KEY``), which is what Gradio is
told the user is (``signed_in_user``, its ``auth_dependency``); without one, ``/`` is the sign-in page and
everything else is 401. The lockout's refusals are 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import threading
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from previs.access.lockout import Locked, Lockout
from previs.access.sessions import SessionStore
from previs.access.users import UserDirectory
from previs.ui.context import LOCAL_USER

USER_KEY = "previs.user"  # the scope key holding the signed-in user's name
MAX_LOGIN_BODY = 8192
# Paths a visitor without a session may reach: the start-up call Gradio's launch makes (sign-in and sign-out
# are answered here).
OPEN_PATHS = frozenset({("GET", "/gradio_api/startup-events")})
NO_MATCH = "That name and password do not match a user of this studio."

SIGN_IN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>previs studio: sign in</title>
<style>
 body { font-family: system-ui, sans-serif; background: #f4f4f5; display: grid; place-items: center;
        min-height: 100vh; margin: 0; }
 form { background: white; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 18rem; }
 h1 { font-size: 1.3rem; margin: 0 0 1rem; } label { display: block; margin: .8rem 0 .3rem; }
 input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
 button { margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; background: #ea580c; color: white;
          border: 0; border-radius: 6px; cursor: pointer; }
 #message { color: #b91c1c; min-height: 1.2em; margin: .8rem 0 0; }
</style></head>
<body><form id="sign-in">
 <h1>previs studio</h1><p>Sign in with the account your studio gave you.</p>
 <label for="username">Name</label><input id="username" name="username" autocomplete="username" required>
 <label for="password">Password</label>
 <input id="password" name="password" type="password" autocomplete="current-password" required>
 <button type="submit">Sign in</button><p id="message" role="alert"></p>
</form>
<script>
document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = document.getElementById("message");
  message.textContent = "";
  const answer = await fetch("login", {method: "POST", body: new URLSearchParams(new FormData(event.target))});
  if (answer.ok) { window.location.reload(); return; }
  const detail = (await answer.json().catch(() => ({}))).detail;
  message.textContent = answer.status === 429 && detail ? detail
    : "That name and password do not match a user of this studio.";
});
</script></body></html>
"""


class LiveSessions:
    """The session store, made the first time the users file has users: a studio started without one turns
    login on when a user is added, and keeps it on."""

    def __init__(self, directory: Callable[[], UserDirectory | None], *, idle_s: float, max_s: float):
        self._directory = directory
        self._idle_s, self._max_s = idle_s, max_s
        self._lock = threading.Lock()
        self._store: SessionStore | None = None

    def current(self) -> SessionStore | None:
        """The sessions of the signed-in users, or None while the studio has no login."""
        with self._lock:
            if self._store is None and (users := self._directory()) is not None:
                self._store = SessionStore(users, idle_s=self._idle_s, max_s=self._max_s)
            return self._store


class LoginGate:
    """ASGI middleware for Gradio's app. While there is no login yet it lets every request through as the
    local user (``LOCAL_USER``); from the moment the users file has users, it asks for a session."""

    def __init__(self, app: ASGIApp, sessions: LiveSessions, lockout: Lockout):
        self.app = app
        self.sessions = sessions
        self.lockout = lockout
        self.cookie = f"previs-session-{secrets.token_hex(4)}"  # per server: two studios on one host keep theirs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        route = (scope.get("method", ""), _path(scope).rstrip("/") or "/")
        sessions = self.sessions.current()
        if sessions is None:
            scope[USER_KEY] = LOCAL_USER
            await self.app(scope, receive, send)
            return
        if route == ("POST", "/login"):
            await (await self._sign_in(Request(scope, receive), sessions))(scope, receive, send)
            return
        token = HTTPConnection(scope).cookies.get(self.cookie)
        if route == ("GET", "/logout"):
            sessions.end(token)
            response = RedirectResponse(scope.get("root_path", "") + "/", status_code=302)
            response.delete_cookie(self.cookie, path="/")
            await response(scope, receive, send)
            return
        user = sessions.user(token)
        if user is not None:
            scope[USER_KEY] = user
            await self.app(scope, receive, send)
        elif route in OPEN_PATHS:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif route in (("GET", "/"), ("HEAD", "/")):
            await HTMLResponse(SIGN_IN_PAGE, headers={"Cache-Control": "no-store"})(scope, receive, send)
        else:
            await JSONResponse({"detail": "Not authenticated: sign in first"}, status_code=401)(scope, receive, send)

    async def _sign_in(self, request: Request, sessions: SessionStore) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_LOGIN_BODY:
                return JSONResponse({"detail": "the sign-in form is too large"}, status_code=413)
        form = parse_qs(body.decode("utf-8", errors="replace"))
        name, password = (form.get("username") or [""])[0].strip(), (form.get("password") or [""])[0]
        if not name or not password:
            return JSONResponse({"detail": "give a name and a password"}, status_code=400)
        address = request.client.host if request.client else "unknown"
        try:
            attempt = self.lockout.begin(name, address)
        except Locked as locked:
            wait = math.ceil(locked.retry_after)
            return JSONResponse({"detail": f"Too many failed sign-ins for this name or from this address: try "
                                           f"again in {wait} s."}, status_code=429,
                                headers={"Retry-After": str(wait)})
        if not await asyncio.to_thread(sessions.users.authenticate, name, password):
            return JSONResponse({"detail": NO_MATCH}, status_code=400)
        self.lockout.succeeded(attempt)
        try:
            token = sessions.open(name)
        except LookupError:
            return JSONResponse({"detail": NO_MATCH}, status_code=400)
        response = JSONResponse({"success": True})
        response.set_cookie(self.cookie, token, max_age=int(sessions.max_s), path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
        return response


def signed_in_user(request: HTTPConnection) -> str | None:
    """Gradio's ``auth_dependency``: the user the gate let through, or None (fails closed)."""
    user = request.scope.get(USER_KEY)
    return user if isinstance(user, str) else None


def _path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return (path[len(root):] or "/") if root and path.startswith(root) else path
