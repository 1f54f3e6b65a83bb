"""The login gate: with login on, a request without a signed-in session reaches nothing but the sign-in page.

Gradio checks logins on its data routes, but its page at ``/`` embeds the API description for anyone, and a few
of its routes (heartbeat, cancel, stream, ...) check nothing. This ASGI middleware sits in front of all of them:
without a session it answers ``/`` with its own sign-in page, lets the login request (and the server's own
start-up call) through, and answers everything else 401. The session is Gradio's: the cookie its ``/login``
sets, holding a token the app keeps in ``tokens``. If a Gradio release renames those, the gate fails closed.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# Paths a visitor without a session may reach: sign in, sign out, and the start-up call Gradio's launch makes.
OPEN_PATHS = frozenset({("POST", "/login"), ("POST", "/login/"), ("GET", "/logout"),
                        ("GET", "/gradio_api/startup-events")})

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
  if (answer.ok) { window.location.reload(); }
  else { message.textContent = "That name and password do not match a user of this studio."; }
});
</script></body></html>
"""


class LoginGate:
    """ASGI middleware for Gradio's app; install it only when login is on."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or _signed_in(scope) or _open(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif scope["method"] in ("GET", "HEAD") and _path(scope) == "/":
            await HTMLResponse(SIGN_IN_PAGE, headers={"Cache-Control": "no-store"})(scope, receive, send)
        else:
            await JSONResponse({"detail": "Not authenticated: sign in first"}, status_code=401)(scope, receive, send)


def _path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return (path[len(root):] or "/") if root and path.startswith(root) else path


def _open(scope: Scope) -> bool:
    return scope["type"] == "http" and (scope["method"], _path(scope)) in OPEN_PATHS


def _signed_in(scope: Scope) -> bool:
    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or not cookie_id:
        return False
    cookies = HTTPConnection(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return token is not None and token in tokens
