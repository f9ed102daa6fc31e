"""Commands over stored intelligence: indicators, events, search and whitelist rules."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tipwire.cli.common import open_store, print_json, stdout
from tipwire.model import (
    EventType,
    Indicator,
    IndicatorType,
    IngestBatch,
    Source,
    Status,
    Tlp,
)
from tipwire.model.whitelist import WhitelistRule
from tipwire.store import curation, queries, whitelist

indicators_app = typer.Typer(help="Add, list and curate indicators.", no_args_is_help=True)
events_app = typer.Typer(help="List and show events.", no_args_is_help=True)
whitelist_app = typer.Typer(help="Rules that keep indicators Whitelisted.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON array.")]
Limit = Annotated[int, typer.Option(help=f"At most this many rows (1-{queries.MAX_PAGE}).")]
Offset = Annotated[int, typer.Option(help="Skip this many rows.")]


@indicators_app.command("add")
def add_indicator(
    type_name: Annotated[str, typer.Argument(metavar="TYPE", help='e.g. "IP Address", URL, FQDN')],
    value: Annotated[str, typer.Argument(help="The value; defanged input is accepted.")],
    status: Annotated[str | None, typer.Option(help="Status of a new indicator.")] = None,
    source: Annotated[str, typer.Option(help="Source name.")] = "Analyst",
    tlp: Annotated[str, typer.Option(help="TLP of the source.")] = "AMBER",
) -> None:
    """Add an indicator (or see it again, if it exists)."""
    indicator = Indicator(
        IndicatorType.parse(type_name),
        value,
        status=Status.parse(status) if status else None,
    )
    batch = IngestBatch(Source(source, Tlp.parse(tlp)), indicators=[indicator])
    store = open_store()
    result = store.ingest(batch)
    store.close()
    verb = "added" if result.indicators.created else "already known"
    stdout.print(f"{indicator.type.value} {indicator.value} {verb}")


@indicators_app.command("list")
def list_indicators(
    type_name: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    source: Annotated[str | None, typer.Option(help="Only from this source.")] = None,
    search: Annotated[str | None, typer.Option(help="Value contains this text.")] = None,
    sort: Annotated[str, typer.Option(help="Sort field, '-' for descending.")] = "-id",
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List indicators, newest first."""
    query = queries.IndicatorQuery(
        type=IndicatorType.parse(type_name) if type_name else None,
        status=Status.parse(status) if status else None,
        source=source,
        search=search,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    store = open_store()
    with store.read() as connection:
        page = queries.list_indicators(connection, query)
    store.close()
    if as_json:
        print_json([view.as_dict() for view in page.items])
        return
    table = Table("id", "type", "value", "status", "last seen", title=f"{page.total} indicators")
    for view in page.items:
        table.add_row(
            str(view.id), view.type, view.value, view.status, f"{view.last_seen:%Y-%m-%d %H:%M}"
        )
    stdout.print(table)


@indicators_app.command("set-status")
def set_status(
    indicator_id: Annotated[int, typer.Argument(metavar="ID")],
    status: Annotated[str, typer.Argument(help="Active, Review, Indirect, Whitelisted, Expired")],
) -> None:
    """Set an indicator's status; later ingests keep an analyst's choice."""
    chosen = Status.parse(status)
    store = open_store()
    with store.write() as connection:
        curation.set_status(connection, indicator_id, chosen)
    store.close()
    stdout.print(f"indicator {indicator_id} is now {chosen.value}")


@events_app.command("list")
def list_events(
    type_name: Annotated[str | None, typer.Option("--type", help="Only this event type.")] = None,
    source: Annotated[str | None, typer.Option(help="Only from this source.")] = None,
    search: Annotated[str | None, typer.Option(help="Title contains this text.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List events, most recent first."""
    query = queries.EventQuery(
        type=EventType.parse(type_name) if type_name else None,
        source=source,
        search=search,
        limit=limit,
        offset=offset,
    )
    store = open_store()
    with store.read() as connection:
        page = queries.list_events(connection, query)
    store.close()
    if as_json:
        print_json([view.as_dict() for view in page.items])
        return
    table = Table("id", "happened", "type", "title", title=f"{page.total} events")
    for view in page.items:
        table.add_row(str(view.id), f"{view.happened_at:%Y-%m-%d %H:%M}", view.type, view.title)
    stdout.print(table)


@events_app.command("show")
def show_event(
    event_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonFlag = False
) -> None:
    """Show an event with its attributes and related indicators."""
    store = open_store()
    with store.read() as connection:
        event = queries.get_event(connection, event_id)
        attributes = queries.event_attributes(connection, event_id)
        related = queries.event_indicators(connection, event_id)
    store.close()
    if as_json:
        print_json(
            event.as_dict()
            | {
                "attributes": [a.as_dict() for a in attributes],
                "indicators": [i.as_dict() for i in related.items],
            }
        )
        return
    stdout.print(f"[bold]{event.title}[/]  ({event.type}, {event.happened_at:%Y-%m-%d %H:%M} UTC)")
    if event.description:
        stdout.print(event.description)
    table = Table("id", "type", "value", "status", title=f"{related.total} related indicators")
    for view in related.items:
        table.add_row(str(view.id), view.type, view.value, view.status)
    stdout.print(table)


def search(
    text: Annotated[str, typer.Argument(help="Text to find in indicator values and event titles.")],
    as_json: JsonFlag = False,
) -> None:
    """Search indicators and events."""
    store = open_store()
    with store.read() as connection:
        found = queries.search(connection, text)
    store.close()
    if as_json:
        print_json(
            [{"kind": "indicator"} | v.as_dict() for v in found.indicators]
            + [{"kind": "event"} | v.as_dict() for v in found.events]
        )
        return
    table = Table("kind", "id", "type", "value / title")
    for indicator in found.indicators:
        table.add_row("indicator", str(indicator.id), indicator.type, indicator.value)
    for event in found.events:
        table.add_row("event", str(event.id), event.type, event.title)
    stdout.print(table)


@whitelist_app.command("add")
def add_rule(
    type_name: Annotated[str, typer.Argument(metavar="TYPE")],
    pattern: Annotated[str, typer.Argument(help="Value with * wildcards, or a CIDR block.")],
) -> None:
    """Add a rule; stored indicators that match become Whitelisted too."""
    rule = WhitelistRule.parse(type_name, pattern)
    store = open_store()
    with store.write() as connection:
        rule_id, changed = whitelist.add_rule(connection, rule)
    store.close()
    stdout.print(f"rule {rule_id}: {rule.type.value} {rule.pattern}")
    stdout.print(f"{changed} stored indicators are now Whitelisted")


@whitelist_app.command("list")
def list_rules(as_json: JsonFlag = False) -> None:
    """List whitelist rules."""
    store = open_store()
    with store.read() as connection:
        rules = whitelist.list_rules(connection)
    store.close()
    if as_json:
        print_json([{"id": i, "type": r.type.value, "pattern": r.pattern} for i, r in rules])
        return
    table = Table("id", "type", "pattern", title=f"{len(rules)} whitelist rules")
    for rule_id, rule in rules:
        table.add_row(str(rule_id), rule.type.value, rule.pattern)
    stdout.print(table)


@whitelist_app.command("remove")
def remove_rule(rule_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Remove a rule; indicators it whitelisted stay Whitelisted."""
    store = open_store()
    with store.write() as connection:
        whitelist.remove_rule(connection, rule_id)
    store.close()
    stdout.print(f"rule {rule_id} removed")


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.add_typer(indicators_app, name="indicators")
    app.add_typer(events_app, name="events")
    app.add_typer(whitelist_app, name="whitelist")
    app.command("search")(search)
