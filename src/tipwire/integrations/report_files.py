"""What the file-fed monitors share: file identity, batch names, cursors and per-file reports.

A report file is known by the digest of its content, wherever it came from (a folder, a zip,
the provider's API). Its events are keyed by that digest, and each batch it yields is named
by the digest and the chunk's position, so importing the same file again replaces what it
added before instead of adding it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tipwire.model import event_key

BATCH_NAME_LENGTH = 64
"""The store names a batch's counter contributions by the first 64 characters of its cursor."""
MAX_LISTED_MALFORMED = 50
"""Malformed rows listed by line number in a file's report; all of them are counted."""
_READ_SIZE = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's content, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_READ_SIZE):
            digest.update(block)
    return digest.hexdigest()


def bytes_digest(content: bytes) -> str:
    """The SHA-256 of some content, in hex."""
    return hashlib.sha256(content).hexdigest()


def batch_name(digest: str, chunk: int) -> str:
    """The name of a file's ``chunk``-th batch: exactly 64 characters, so that a cursor that
    starts with it names the same batch for the store as the name alone."""
    return f"{digest[:55]}-{chunk:08d}"


def file_event_keys(integration: str, digest: str, kind: str) -> Callable[[str], str]:
    """Event keys for one file: one event per monitored block or domain and kind of report."""
    return lambda group: event_key(integration, digest, kind, group)


def cursor_with_state(batch: str, state: dict[str, Any]) -> str:
    """A run's cursor: the batch it commits, then the integration's state as JSON."""
    return f"{batch}|{json.dumps(state, sort_keys=True, separators=(',', ':'))}"


def state_of(cursor: str | None) -> dict[str, Any]:
    """The state a cursor made by ``cursor_with_state`` carries ({} for none or another form)."""
    if not cursor or "|" not in cursor:
        return {}
    try:
        state = json.loads(cursor.split("|", 1)[1])
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


@dataclass(slots=True)
class FileReport:
    """What importing one file did: rows read, rows matched, malformed rows by line number."""

    name: str
    report_type: str = ""
    rows: int = 0
    matched: int = 0
    malformed: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(line number, reason) of the first malformed rows; never a row's content."""
    on_skip: Callable[[int, str], None] | None = None
    """Told of every malformed row, e.g. to sample it in a run's activity log."""

    def skip(self, line: int, reason: str) -> None:
        """Count a malformed row and list it (the first few) by its line number."""
        self.malformed += 1
        if len(self.problems) < MAX_LISTED_MALFORMED:
            self.problems.append((line, reason))
        if self.on_skip is not None:
            self.on_skip(line, reason)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``--json`` output."""
        return {
            "file": self.name,
            "report_type": self.report_type,
            "rows": self.rows,
            "matched": self.matched,
            "malformed": self.malformed,
            "malformed_lines": [
                {"line": line, "reason": why} for line, why in sorted(self.problems)
            ],
        }


def total(reports: Iterable[FileReport]) -> tuple[int, int, int]:
    """Rows, matched and malformed over several files."""
    listed = list(reports)
    return (
        sum(r.rows for r in listed),
        sum(r.matched for r in listed),
        sum(r.malformed for r in listed),
    )
