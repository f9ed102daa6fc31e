"""Commands that share intelligence: STIX, MISP, blocklists, CSV and JSON; pushes to MISP."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from tipwire.cli.common import open_store, stderr, stdout
from tipwire.errors import InvalidValueError
from tipwire.model import IndicatorType, Status, utc
from tipwire.sharing import tabular
from tipwire.sharing.blocklist import blocklist_lines, blocklist_type
from tipwire.store.queries import IndicatorQuery

export_app = typer.Typer(help="Export indicators and events for other tools.", no_args_is_help=True)
push_app = typer.Typer(help="Send events to other platforms.", no_args_is_help=True)

Output = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write to this file (default: stdout).")
]
StatusOption = Annotated[str | None, typer.Option("--status", help="Only this status.")]


def parse_since(text: str | None) -> datetime | None:
    """A ``--since`` date or date and time (ISO 8601, UTC unless it says otherwise)."""
    if text is None:
        return None
    try:
        return utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidValueError("since", text, "is not a date (use YYYY-MM-DD[THH:MM])") from None


@contextmanager
def _opened(output: Path | None) -> Iterator[BinaryIO]:
    """The output file, or standard output; a file is written whole or not at all."""
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    draft = output.with_name(f".{output.name}.part")
    with draft.open("wb") as handle:
        yield handle
    draft.replace(output)


def _write(output: Path | None, chunks: Iterable[str | bytes]) -> None:
    with _opened(output) as handle:
        for chunk in chunks:
            handle.write(chunk.encode() if isinstance(chunk, str) else chunk)


@export_app.command("stix")
def export_stix(
    status: StatusOption = None,
    since: Annotated[str | None, typer.Option(help="Only indicators seen since this date.")] = None,
    event: Annotated[int | None, typer.Option(help="Only this event and its indicators.")] = None,
    output: Output = None,
) -> None:
    """A STIX 2.1 bundle: indicators, observables, events as Reports (no Whitelisted unless
    --status Whitelisted)."""
    # Imported here: the STIX and MISP libraries take a while to load, and most commands
    # never need them.
    from tipwire.sharing.stix import StixSelection, build_bundle

    selection = StixSelection(
        status=Status.parse(status) if status else None, since=parse_since(since), event_id=event
    )
    store = open_store()
    with store.read() as connection:
        bundle = build_bundle(connection, selection)
    store.close()
    _write(output, [bundle.serialize(), "\n"])
    for reason in bundle.skipped:
        stderr.print(f"skipped {reason}", markup=False)


@export_app.command("misp")
def export_misp(
    event_id: Annotated[int, typer.Argument(metavar="EVENT_ID")],
    output: Output = None,
) -> None:
    """An event as MISP event JSON, its indicators as typed attributes."""
    from tipwire.sharing import misp

    store = open_store()
    with store.read() as connection:
        text = misp.event_json(connection, event_id)
    store.close()
    _write(output, [text, "\n"])


@export_app.command("blocklist")
def export_blocklist(
    type_name: Annotated[str, typer.Option("--type", help='e.g. "IP Address", FQDN, URL')],
    output: Output = None,
) -> None:
    """The Active values of one type, one per line; never a Whitelisted one."""
    type_ = blocklist_type(type_name)
    store = open_store()
    with store.read() as connection:
        _write(output, blocklist_lines(connection, type_))
    store.close()


def _query(
    type_name: str | None,
    status: str | None,
    source: str | None,
    search: str | None,
    since: str | None,
) -> IndicatorQuery:
    return IndicatorQuery(
        type=IndicatorType.parse(type_name) if type_name else None,
        status=Status.parse(status) if status else None,
        source=source,
        search=search,
        seen_since=parse_since(since),
        sort="id",
    )


TypeOption = Annotated[str | None, typer.Option("--type", help="Only this type.")]
SourceOption = Annotated[str | None, typer.Option(help="Only from this source.")]
SearchOption = Annotated[str | None, typer.Option(help="Value contains this text.")]
SinceOption = Annotated[str | None, typer.Option(help="Only indicators seen since this date.")]


@export_app.command("csv")
def export_csv(
    type_name: TypeOption = None,
    status: StatusOption = None,
    source: SourceOption = None,
    search: SearchOption = None,
    since: SinceOption = None,
    output: Output = None,
) -> None:
    """Indicators matching the filters as CSV."""
    query = _query(type_name, status, source, search, since)
    store = open_store()
    with store.read() as connection:
        _write(output, tabular.csv_lines(connection, query))
    store.close()


@export_app.command("json")
def export_json(
    type_name: TypeOption = None,
    status: StatusOption = None,
    source: SourceOption = None,
    search: SearchOption = None,
    since: SinceOption = None,
    output: Output = None,
) -> None:
    """Indicators matching the filters as a JSON array."""
    query = _query(type_name, status, source, search, since)
    store = open_store()
    with store.read() as connection:
        _write(output, tabular.json_chunks(connection, query))
    store.close()


@push_app.command("misp")
def push_misp(
    event_id: Annotated[int, typer.Argument(metavar="EVENT_ID")],
    url: Annotated[str, typer.Option(help="The MISP server, e.g. https://misp.example.org")],
    key: Annotated[
        str,
        typer.Option(
            envvar="TIPWIRE_MISP_KEY",
            help="MISP API key (better: set TIPWIRE_MISP_KEY).",
            show_default=False,
        ),
    ],
    verify_tls: Annotated[bool, typer.Option(help="Check the server's certificate.")] = True,
) -> None:
    """Send an event to MISP (added, or updated if MISP has it already)."""
    from tipwire.sharing import misp

    # PyMISP logs every error answer, even the expected "no such event" before an add;
    # push_event reports what went wrong in one error of its own.
    logging.getLogger("pymisp").disabled = True
    store = open_store()
    with store.read() as connection:
        event = misp.build_event(connection, event_id)
    store.close()
    result = misp.push_event(event, url, key, verify_tls=verify_tls)
    stdout.print(f"event {event_id} is MISP event {result.id} ({result.uuid})")


def register(app: typer.Typer) -> None:
    """Add the sharing commands to the ``tipwire`` app."""
    app.add_typer(export_app, name="export")
    app.add_typer(push_app, name="push")
