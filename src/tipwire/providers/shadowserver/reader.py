"""Read a Shadowserver report CSV in chunks of rows, by its header, reporting bytes read."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tipwire.errors import InvalidValueError

CHUNK_ROWS = 50_000
"""Rows per chunk: the unit that is matched at a time and committed as one batch."""

# Shadowserver quotes long user agents and URLs; the csv module refuses fields over 128 KiB
# by default, which is still far below anything sane.
csv.field_size_limit(min(sys.maxsize, 1 << 24))


@dataclass(slots=True)
class Chunk:
    """Consecutive rows of a report, each with the line it ends on, and the rows refused."""

    number: int
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of rows that do not have as many fields as the header."""


class ReportReader:
    """A report file's header and its rows, in chunks; ``progress`` gets bytes read so far."""

    def __init__(self, path: Path, *, progress: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.progress = progress
        self._binary = path.open("rb")
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", errors="replace")
        self._rows = csv.reader(self._text)
        try:
            first = next(self._rows, None)
        except csv.Error as exc:
            self.close()
            raise InvalidValueError(str(path.name), "header", f"is not CSV: {exc}") from None
        if not first or not any(cell.strip() for cell in first):
            self.close()
            raise InvalidValueError(str(path.name), "", "has no header line")
        self.header = [cell.strip().strip('"').lower() for cell in first]

    def __enter__(self) -> ReportReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._text.close()

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """Yield the rows in chunks of ``size``; a row of the wrong width is listed, not kept."""
        width = len(self.header)
        rows = self._rows
        number = 0
        chunk = Chunk(number)
        while True:
            try:
                # The hot loop: one C call per row, and a width check.
                for row in rows:
                    if len(row) == width:
                        chunk.rows.append(row)
                        chunk.lines.append(rows.line_num)
                    elif row and any(row):
                        chunk.malformed.append(
                            (rows.line_num, f"has {len(row)} fields, the header has {width}")
                        )
                    if len(chunk.rows) >= size:
                        break
                else:
                    break
            except csv.Error as exc:
                chunk.malformed.append((rows.line_num, f"is not CSV: {exc}"))
                continue
            yield chunk
            self._report()
            number += 1
            chunk = Chunk(number)
        if chunk.rows or chunk.malformed:
            yield chunk
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self._binary.tell())
