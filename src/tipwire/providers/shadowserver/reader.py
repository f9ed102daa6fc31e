"""Read a Shadowserver report CSV in chunks of rows, by its header, reporting bytes read.

Shadowserver writes every field quoted, and nearly every line is a "plain" row: as many
fields as the header, no quote or line break inside a field. Such a line is split with
``str.split`` on demand, and only the column being matched is cut out of every line; the
whole row is split only for the few rows that match. Any other line goes through the csv
module, and a chunk holding a field with a line break is read by the csv module whole.
"""

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
_READ_CHARS = 1 << 22

# Shadowserver quotes long user agents and URLs; the csv module refuses fields over 128 KiB
# by default, which is still far below anything sane.
csv.field_size_limit(min(sys.maxsize, 1 << 24))


@dataclass(slots=True)
class Chunk:
    """Consecutive rows of a report, each with its line number, and the rows refused.

    A row is kept either as a plain line (split when asked) or as parsed fields.
    """

    number: int
    lines: list[int] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of rows that do not have as many fields as the header."""
    texts: list[str | list[str]] = field(default_factory=list)
    """Each row: a plain line (split on demand) or its parsed fields."""
    quoted: bool = True
    """Whether the plain lines quote every field (else they quote none)."""
    width: int = 0

    def __len__(self) -> int:
        return len(self.texts)

    def column(self, index: int) -> list[str]:
        """One column of every row."""
        if self.quoted:
            # The first field keeps its line's opening quote, the last its closing one.
            trim = '"\r' if index in (0, self.width - 1) else ""
            return [
                text.split('","', index + 1)[index].strip(trim)
                if isinstance(text, str)
                else text[index]
                for text in self.texts
            ]
        trim = "\r" if index == self.width - 1 else ""
        return [
            text.split(",", index + 1)[index].rstrip(trim) if isinstance(text, str) else text[index]
            for text in self.texts
        ]

    def row(self, position: int) -> list[str]:
        """Every field of one row."""
        text = self.texts[position]
        if not isinstance(text, str):
            return text
        body = text.rstrip("\r")
        if self.quoted:
            return body[1:-1].split('","')
        return body.split(",")


class ReportReader:
    """A report file's header and its rows, in chunks; ``progress`` gets bytes read so far."""

    def __init__(self, path: Path, *, progress: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.progress = progress
        self._binary = path.open("rb")
        # newline="" keeps line breaks as they are, for the csv module to judge.
        self._text = io.TextIOWrapper(
            self._binary, encoding="utf-8-sig", errors="replace", newline=""
        )
        self._buffer: list[str] = []  # whole lines read ahead
        self._tail = ""  # the start of a line whose end is not read yet
        self._eof = False
        first = self._balanced(self._next_lines(1))
        self._line = len(first)  # lines handed out so far
        try:
            header = next(csv.reader(first), None) if first else None
        except csv.Error as exc:
            self.close()
            raise InvalidValueError(path.name, "header", f"is not CSV: {exc}") from None
        if not header or not any(cell.strip() for cell in header):
            self.close()
            raise InvalidValueError(path.name, "", "has no header line")
        self.header = [cell.strip().strip('"').lower() for cell in header]

    def __enter__(self) -> ReportReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._text.close()

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """Yield the rows in chunks of about ``size``; a row of the wrong width is listed."""
        number = 0
        while lines := self._next_lines(size):
            first_line = self._line + 1
            self._line += len(lines)
            yield self._chunk(number, lines, first_line)
            self._report()
            number += 1
        self._report()

    def _next_lines(self, count: int) -> list[str]:
        """Up to ``count`` lines (without their "\\n"); a row split over lines is kept whole."""
        while len(self._buffer) < count and not self._eof:
            block = self._text.read(_READ_CHARS)
            if not block:
                self._eof = True
                if self._tail:
                    self._buffer.append(self._tail)
                    self._tail = ""
                break
            parts = (self._tail + block).split("\n")
            self._tail = parts.pop()
            self._buffer += parts
        lines = self._buffer[:count]
        del self._buffer[:count]
        return lines

    def _balanced(self, lines: list[str]) -> list[str]:
        """The lines, and more if a quoted field with a line break runs past the last one."""
        while "".join(lines).count('"') % 2:
            more = self._next_lines(1)
            if not more:
                break
            lines += more
        return lines

    def _chunk(self, number: int, lines: list[str], first_line: int) -> Chunk:
        """Sort a chunk's lines into plain rows, other rows, and malformed rows."""
        width = len(self.header)
        quotes, separators = 2 * width, width - 1
        quoted = [line.count('","') == separators and line.count('"') == quotes for line in lines]
        if all(quoted):
            numbers = list(range(first_line, first_line + len(lines)))
            return Chunk(number, numbers, texts=list(lines), quoted=True, width=width)
        plain = [not q and '"' not in line and line.count(",") == separators
                 for q, line in zip(quoted, lines, strict=True)]  # fmt: skip
        if all(plain):
            numbers = list(range(first_line, first_line + len(lines)))
            return Chunk(number, numbers, texts=list(lines), quoted=False, width=width)
        # Only a line that is not plain may open a quoted field that ends in a later line.
        more = len(lines)
        lines = self._balanced(lines)
        self._line += len(lines) - more
        if len(lines) > more:
            quoted += [False] * (len(lines) - more)
            plain += [False] * (len(lines) - more)
        return self._mixed(number, lines, first_line, quoted, plain)

    def _mixed(
        self,
        number: int,
        lines: list[str],
        first_line: int,
        quoted: list[bool],
        plain: list[bool],
    ) -> Chunk:
        """A chunk that is not all alike: plain lines split, the rest parsed by csv."""
        width = len(self.header)
        chunk = Chunk(number, quoted=True, width=width)
        position = 0
        while position < len(lines):
            line = lines[position]
            line_number = first_line + position
            if quoted[position]:
                chunk.texts.append(line)
                chunk.lines.append(line_number)
                position += 1
                continue
            if plain[position]:
                chunk.texts.append(line.rstrip("\r").split(","))
                chunk.lines.append(line_number)
                position += 1
                continue
            # Take lines until the quotes balance: one record, maybe over several lines.
            end = position + 1
            while sum(text.count('"') for text in lines[position:end]) % 2 and end < len(lines):
                end += 1
            try:
                rows = list(csv.reader(text + "\n" for text in lines[position:end]))
            except csv.Error as exc:
                chunk.malformed.append((line_number, f"is not CSV: {exc}"))
                position = end
                continue
            position = end
            for row in rows:
                if len(row) == width:
                    chunk.texts.append(row)
                    chunk.lines.append(line_number)
                elif any(row):  # a blank line is no row at all
                    chunk.malformed.append(
                        (line_number, f"has {len(row)} fields, the header has {width}")
                    )
        return chunk

    @property
    def position(self) -> int:
        """Bytes of the file read so far."""
        return self._binary.tell()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.position)
