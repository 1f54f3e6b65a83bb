"""Checks on every request, login or not: the Host allow-list, the Origin check and the security headers.

A web page open in the user's browser can send requests to the studio: to 127.0.0.1 directly, or through a name
of its own that it re-points at this machine (DNS rebinding). Such requests carry the page's name in ``Host``
or its origin in ``Origin``, so they are refused here (403) before anything runs:

- ``Host`` must be ``localhost``, an IP address (a page whose origin is an address is the studio itself, never
  a rebinding), the name the server was told to listen on, or a name in PREVIS_ALLOWED_HOSTS;
- a request with an ``Origin`` must come from the studio's own origin (the same host and port as ``Host``) or
  from a name in PREVIS_ALLOWED_HOSTS (a reverse proxy in front); ``Origin: null`` is never the studio;
- a state-changing request without ``Origin`` that the browser marks ``Sec-Fetch-Site: cross-site`` is refused.

Every response gets headers that forbid framing (clickjacking) and MIME sniffing.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("previs.ui")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def host_name(value: str) -> str:
    """The host part of a Host header or netloc, lower-cased, without port or IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostPolicy:
    """Which Host names the studio answers to."""

    def __init__(self, allowed: Iterable[str], served_on: str):
        self.allowed = frozenset(name.lower() for name in allowed)
        bound = host_name(served_on)
        self.names = self.allowed | {"localhost"} | (set() if bound in WILDCARDS else {bound})

    def host_allowed(self, host: str) -> bool:
        name = host_name(host).rstrip(".")
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def origin_allowed(self, origin: str, host: str) -> bool:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null" (sandboxed frames, file: pages) and anything else that is not a web origin
        return parts.netloc.lower() == host.strip().lower() or host_name(parts.netloc) in self.allowed


class RequestGuard:
    """ASGI middleware: refuse foreign Host and Origin, add the security headers to every response."""

    def __init__(self, app: ASGIApp, policy: HostPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            log.warning("refused %s %s: %s", scope.get("method", "WEBSOCKET"), scope["path"], refusal)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await JSONResponse({"detail": refusal}, status_code=403, headers=SECURITY_HEADERS)(
                    scope, receive, send)
            return
        await self.app(scope, receive, _with_security_headers(send))

    def _refusal(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.policy.host_allowed(host):
            return (f"this studio does not answer to the host name {host_name(host)!r}: an admin can add it to "
                    "PREVIS_ALLOWED_HOSTS")
        origin = headers.get("origin")
        if origin is not None and not self.policy.origin_allowed(origin, host):
            return f"requests from the web page at {origin!r} are refused: open the studio's own page instead"
        state_changing = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if origin is None and state_changing and headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            return "requests from another site's web page are refused: open the studio's own page instead"
        return None


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers[name] = value
            policy = headers.get("content-security-policy")
            if policy is None:
                headers["Content-Security-Policy"] = FRAME_ANCESTORS
            elif "frame-ancestors" not in policy:
                headers["Content-Security-Policy"] = f"{policy}; {FRAME_ANCESTORS}"
        await send(message)

    return sending
