"""Commands for notification rules: add a webhook or email rule, list, remove, test, deliveries."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.table import Table

from tipwire.cli.common import open_store, print_json, stdout
from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.model import EventType
from tipwire.notify.dispatch import Notifier
from tipwire.notify.email import SmtpSettings
from tipwire.notify.retry import Backoff
from tipwire.notify.rules import Channel, Rule, Trigger
from tipwire.store import notifications

notify_app = typer.Typer(
    help="Rules that notify on new events and failing integration runs.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="A name for the rule (no spaces).")]
On = Annotated[
    str,
    typer.Option("--on", help="new-event, or run-failure (a run that failed or ended partial)."),
]
IntegrationFilter = Annotated[
    str | None, typer.Option("--integration", help="Only this integration's events or runs.")
]
EventTypeFilter = Annotated[
    str | None, typer.Option("--event-type", help="Only new events of this type.")
]


def _add(rule: Rule) -> None:
    store = open_store()
    try:
        Notifier(store.engine, Settings()).add_rule(rule)
    finally:
        store.close()


@notify_app.command("add-webhook")
def add_webhook(
    name: Name,
    url: Annotated[str, typer.Option(help="Where to POST the JSON notifications.")],
    on: On = "new-event",
    integration: IntegrationFilter = None,
    event_type: EventTypeFilter = None,
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="TIPWIRE_WEBHOOK_SECRET",
            help="Signing secret (better: TIPWIRE_WEBHOOK_SECRET); made for you if absent.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add a rule that POSTs signed JSON to a URL."""
    made = secret is None
    key = secret or secrets.token_urlsafe(32)
    _add(
        Rule(
            name=name,
            trigger=Trigger.parse(on),
            channel=Channel.WEBHOOK,
            target=url,
            integration=integration,
            event_type=EventType.parse(event_type) if event_type else None,
            secret=key,
        )
    )
    stdout.print(f"webhook rule {name} added")
    if made:
        # Shown this once so the receiver can be configured; stored encrypted, never shown again.
        stdout.print(f"signing secret (shown once): {key}", markup=False)


@notify_app.command("add-email")
def add_email(
    name: Name,
    to: Annotated[str, typer.Option(help="Recipients, separated by commas.")],
    smtp_host: Annotated[str, typer.Option(help="SMTP server.")],
    on: On = "new-event",
    integration: IntegrationFilter = None,
    event_type: EventTypeFilter = None,
    smtp_port: Annotated[int, typer.Option(help="SMTP port.")] = 25,
    sender: Annotated[str, typer.Option("--from", help="Sender address.")] = "tipwire@localhost",
    starttls: Annotated[bool, typer.Option(help="Upgrade the connection with STARTTLS.")] = False,
    smtp_user: Annotated[str | None, typer.Option(help="Log in as this user.")] = None,
    smtp_password: Annotated[
        str | None,
        typer.Option(
            envvar="TIPWIRE_SMTP_PASSWORD",
            help="SMTP password (better: TIPWIRE_SMTP_PASSWORD).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add a rule that sends email over SMTP."""
    if smtp_user and not smtp_password:
        raise ConfigurationError("--smtp-user needs a password: set TIPWIRE_SMTP_PASSWORD")
    smtp = SmtpSettings(
        host=smtp_host, port=smtp_port, sender=sender, starttls=starttls, username=smtp_user
    )
    _add(
        Rule(
            name=name,
            trigger=Trigger.parse(on),
            channel=Channel.EMAIL,
            target=to,
            integration=integration,
            event_type=EventType.parse(event_type) if event_type else None,
            settings=smtp.as_dict(),
            secret=smtp_password,
        )
    )
    stdout.print(f"email rule {name} added")


@notify_app.command("list")
def list_rules(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the rules (secrets are never shown)."""
    store = open_store()
    with store.read() as connection:
        rules = notifications.list_rules(connection)
    store.close()
    rows = [
        {
            "name": r.name,
            "on": r.trigger,
            "channel": r.channel,
            "target": r.target,
            "integration": r.integration,
            "event_type": r.event_type,
            "enabled": r.enabled,
        }
        for r in rules
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "on", "channel", "target", "filters", title=f"{len(rows)} rules")
    for row in rows:
        filters = ", ".join(str(v) for v in (row["integration"], row["event_type"]) if v)
        table.add_row(
            str(row["name"]),
            str(row["on"]),
            str(row["channel"]),
            str(row["target"]),
            filters or "-",
        )
    stdout.print(table)


@notify_app.command("remove")
def remove_rule(name: Name) -> None:
    """Remove a rule and its delivery log."""
    store = open_store()
    with store.write() as connection:
        notifications.remove_rule(connection, name)
    store.close()
    stdout.print(f"rule {name} removed")


@notify_app.command("test")
def test_rule(name: Name) -> None:
    """Send a test notification under a rule and say how it went."""
    store = open_store()
    try:
        # One attempt: whoever runs this is waiting for the answer.
        outcome = Notifier(store.engine, Settings(), backoff=Backoff(attempts=1)).test(name)
    finally:
        store.close()
    if not outcome.ok:
        raise ConfigurationError(
            f"rule {name}: test notification failed after {outcome.attempts} attempt(s): "
            f"{outcome.error}"
        )
    stdout.print(f"rule {name}: test notification delivered")


@notify_app.command("deliveries")
def list_deliveries(
    rule: Annotated[str | None, typer.Option(help="Only this rule's deliveries.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Show the delivery log: attempts, status code and error of each notification."""
    store = open_store()
    with store.read() as connection:
        found = notifications.list_deliveries(connection, rule, limit)
    store.close()
    if as_json:
        print_json([d.as_dict() for d in found])
        return
    table = Table("id", "rule", "kind", "subject", "status", "attempts", "code", "error")
    for d in found:
        table.add_row(
            str(d.id),
            d.rule,
            d.kind,
            str(d.subject_id or "-"),
            d.status,
            str(d.attempts),
            str(d.status_code or "-"),
            d.error or "",
        )
    stdout.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``notify`` commands to the ``tipwire`` app."""
    app.add_typer(notify_app, name="notify")
