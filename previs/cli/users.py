"""``previs users ...``: the studio's logins for the UI (a users file; passwords kept as scrypt hashes)."""

from __future__ import annotations

import sys
from typing import Annotated, cast

import typer

from previs.access.permissions import Role
from previs.access.users import add_user, read_users, remove_user, set_password, users_path
from previs.cli.common import JSON_OPTION, print_json, state
from previs.errors import InvalidRequest

users_app = typer.Typer(help="UI logins and roles (art_director, costume_designer, producer, admin).",
                        no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise InvalidRequest("no terminal to ask for the password: pipe it in with --password-stdin")
    return cast(str, typer.prompt("password", hide_input=True, confirmation_prompt=True))  # no type=: a str


@users_app.command("add")
def add(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Change an existing user's password and role.")] = False,
) -> None:
    """Add a user (asks for the password); with a users file the UI requires login."""
    path = users_path(state(context).settings.home)
    user = add_user(path, name, _password(password_stdin), role, replace=replace)
    typer.echo(f"user {user.name} ({user.role.value}) saved in {path}")


@users_app.command("password")
def password(
    context: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Change a user's password (asks for it); their open sessions end at once."""
    path = users_path(state(context).settings.home)
    user = set_password(path, name, _password(password_stdin))
    typer.echo(f"password of {user.name} changed in {path}: their open sessions have ended")


@users_app.command("remove")
def remove(context: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Remove a user; their open sessions stop at their next request."""
    path = users_path(state(context).settings.home)
    remove_user(path, name)
    typer.echo(f"user {name} removed from {path}")


@users_app.command("list")
def list_users(context: typer.Context, as_json: Annotated[bool, JSON_OPTION] = False) -> None:
    """Users and their roles (never their password hashes)."""
    path = users_path(state(context).settings.home)
    users = read_users(path) if path.exists() else {}
    if as_json:
        print_json([{"name": user.name, "role": user.role.value} for user in users.values()])
        return
    if not users:
        typer.echo(f"no users file at {path}: the UI runs without login for one local admin")
    for user in users.values():
        typer.echo(f"{user.name:<24} {user.role.value}")
