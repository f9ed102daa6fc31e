"""CSV and JSON exports of any indicator query, produced a page at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import orjson
from sqlalchemy import Connection

from tipwire.store import queries
from tipwire.store.queries import IndicatorQuery, IndicatorView

COLUMNS = (
    "id",
    "type",
    "value",
    "status",
    "score",
    "first_seen",
    "last_seen",
    "created_at",
    "updated_at",
    "sources",
)
# Spreadsheets run cells that start with these as formulas; such values get a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def iter_indicators(connection: Connection, query: IndicatorQuery) -> Iterator[IndicatorView]:
    """Every indicator the query matches, from its offset on, ignoring its page limit."""
    page = replace(query, limit=queries.MAX_PAGE)
    while True:
        found = queries.list_indicators(connection, page).items
        yield from found
        if len(found) < page.limit:
            return
        page = replace(page, offset=page.offset + len(found))


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(connection: Connection, query: IndicatorQuery) -> Iterator[str]:
    """The query's indicators as CSV text: a header, then one line per indicator."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for view in iter_indicators(connection, query):
        row = view.as_dict()
        row["sources"] = ";".join(view.sources)
        writer.writerow([_cell(row[column]) for column in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def json_chunks(connection: Connection, query: IndicatorQuery) -> Iterator[bytes]:
    """The query's indicators as one JSON array, produced an element at a time."""
    yield b"["
    separator = b"\n"
    for view in iter_indicators(connection, query):
        yield separator + orjson.dumps(view.as_dict())
        separator = b",\n"
    yield b"\n]\n"
