"""``users`` and ``clients``: who may use the API and the web UI."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tipwire.cli.common import open_store, print_json, stderr, stdout
from tipwire.identity import Role
from tipwire.identity.principal import PrincipalKind

users_app = typer.Typer(help="People who sign in: create, list, set role.", no_args_is_help=True)
clients_app = typer.Typer(help="API clients (programs): create, list.", no_args_is_help=True)

RoleOption = Annotated[str, typer.Option("--role", help="viewer, analyst or admin.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ACTOR = "cli"


@users_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleOption = "viewer",
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate a password and print it once.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a user; the password is prompted for (or generated and printed once)."""
    from tipwire.store import accounts, audit

    chosen = Role.parse(role)
    if generate:
        from tipwire.identity.hashing import new_secret

        password = new_secret(12)
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_store()
    with store.write() as connection:
        account = accounts.create_user(connection, name, password, chosen)
        audit.record(connection, ACTOR, "user.create", "user", account.id, after=account.as_dict())
    store.close()
    shown = account.as_dict() | ({"password": password} if generate else {})
    if as_json:
        print_json(shown)
        return
    stdout.print(f"user {escape(account.name)} created with role {account.role}")
    if generate:
        stdout.print(f"password: {password}")
        stderr.print("(shown this once; it is stored only as a hash)")


@users_app.command("list")
def list_users(as_json: JsonFlag = False) -> None:
    """List users with their roles."""
    _list(PrincipalKind.USER, as_json)


@users_app.command("set-role")
def set_role(name: Annotated[str, typer.Argument(help="Login name.")], role: RoleOption) -> None:
    """Change a user's role."""
    from tipwire.store import accounts, audit

    chosen = Role.parse(role)
    store = open_store()
    with store.write() as connection:
        found = accounts.user_credentials(connection, name)
        if found is None:
            raise typer.BadParameter(f"no user called {name!r}", param_hint="NAME")
        before = found[0]
        after = accounts.update_account(connection, PrincipalKind.USER, before.id, role=chosen)
        audit.record(
            connection,
            ACTOR,
            "user.change",
            "user",
            before.id,
            before=before.as_dict(),
            after=after.as_dict(),
        )
    store.close()
    stdout.print(f"user {escape(name)} now has role {chosen}")


@clients_app.command("create")
def create_client(
    name: Annotated[str, typer.Argument(help="A name for the program, e.g. siem-export.")],
    role: RoleOption = "viewer",
    as_json: JsonFlag = False,
) -> None:
    """Add an API client; prints its client id and secret, this once only."""
    from tipwire.store import accounts, audit

    chosen = Role.parse(role)
    store = open_store()
    with store.write() as connection:
        account, secret = accounts.create_client(connection, name, chosen)
        audit.record(
            connection, ACTOR, "client.create", "client", account.id, after=account.as_dict()
        )
    store.close()
    if as_json:
        print_json({**account.as_dict(), "client_secret": secret})
        return
    stdout.print(f"client {escape(account.name)} created with role {account.role}")
    stdout.print(f"client_id: {account.client_id}")
    stdout.print(f"client_secret: {secret}")
    stderr.print("(the secret is shown this once; it is stored only as a hash)")


@clients_app.command("list")
def list_clients(as_json: JsonFlag = False) -> None:
    """List API clients with their roles."""
    _list(PrincipalKind.CLIENT, as_json)


def _list(kind: PrincipalKind, as_json: bool) -> None:
    from tipwire.store import accounts

    store = open_store()
    with store.read() as connection:
        found = accounts.list_accounts(connection, kind)
    store.close()
    if as_json:
        print_json([a.as_dict() for a in found])
        return
    table = Table("id", "name", "role", "disabled", "created", title=f"{kind.value}s")
    for account in found:
        name = (
            account.name if account.client_id is None else f"{account.name} ({account.client_id})"
        )
        table.add_row(
            str(account.id),
            escape(name),
            account.role.value,
            "yes" if account.disabled else "no",
            f"{account.created_at:%Y-%m-%d %H:%M}",
        )
    stdout.print(table)


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.add_typer(users_app, name="users")
    app.add_typer(clients_app, name="clients")
