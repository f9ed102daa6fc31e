"""The ``tipwire`` command line."""

from __future__ import annotations

import sys

import typer

from tipwire.cli import accounts, data, exchange, imports, notify, server, setup, sharing
from tipwire.cli.common import console_error
from tipwire.errors import TipwireError
from tipwire.providers.ctac.cli import ctac_sim

app = typer.Typer(
    name="tipwire",
    help="TipWire: turn raw threat data into Events about your own organisation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
setup.register(app)
data.register(app)
exchange.register(app)
accounts.register(app)
server.register(app)
sharing.register(app)
notify.register(app)
imports.register(app)
app.command("ctac-sim")(ctac_sim)


def main() -> None:
    """Run the CLI; TipWire's own errors become one clear line and exit status 2."""
    try:
        app()
    except TipwireError as exc:
        console_error(str(exc))
        sys.exit(2)
