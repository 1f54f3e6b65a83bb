"""Who may do what. Checked inside the facade, so the UI, its HTTP API, the CLI and Python calls share one rule.

Roles are the departments that use previs. The CLI acts as the studio's local ``admin`` (whoever can run it can
read the data directory anyway); the UI acts as the logged-in user with the role the studio configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from previs.errors import InvalidRequest, PermissionDenied


class Role(StrEnum):
    ART_DIRECTOR = "art_director"
    COSTUME_DESIGNER = "costume_designer"
    PRODUCER = "producer"
    ADMIN = "admin"


class Action(StrEnum):
    GENERATE_SET = "generate set concepts"
    FIT_COSTUME = "run costume fittings"
    BUILD_STORYBOARD = "build storyboards"
    IMPORT_SCRIPT = "import screenplays"
    REVIEW = "review frames"
    MANAGE_CONSENT = "manage consent"
    VIEW = "view frames"
    VERIFY = "verify images"


_EVERYONE = frozenset(Role)
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.GENERATE_SET: _EVERYONE,
    Action.FIT_COSTUME: frozenset({Role.COSTUME_DESIGNER, Role.ADMIN}),
    Action.BUILD_STORYBOARD: frozenset({Role.ART_DIRECTOR, Role.PRODUCER, Role.ADMIN}),
    Action.IMPORT_SCRIPT: frozenset({Role.ART_DIRECTOR, Role.PRODUCER, Role.ADMIN}),
    Action.REVIEW: frozenset({Role.PRODUCER, Role.ADMIN}),
    Action.MANAGE_CONSENT: frozenset({Role.PRODUCER, Role.ADMIN}),
    Action.VIEW: _EVERYONE,
    Action.VERIFY: _EVERYONE,
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        raise InvalidRequest(f"unknown role {value!r}: use one of {', '.join(r.value for r in Role)}") from None


@dataclass(frozen=True)
class Actor:
    """The person on whose behalf the facade acts; recorded on every frame, review and consent event."""

    name: str
    role: Role

    def require(self, action: Action) -> None:
        if self.role not in ALLOWED[action]:
            allowed = ", ".join(sorted(role.value for role in ALLOWED[action]))
            raise PermissionDenied(f"{self.name} ({self.role.value}) may not {action.value}: that needs {allowed}")

    def may(self, action: Action) -> bool:
        return self.role in ALLOWED[action]
