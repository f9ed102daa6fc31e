"""The text dumps under a path: loose ``.txt`` files in a folder tree, and those in zips."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tipwire.errors import InvalidValueError

MAX_MEMBER_BYTES = 256 << 20
"""A text dump larger than this inside a zip is refused rather than read into memory."""


@dataclass(frozen=True, slots=True)
class Dump:
    """One text dump: a name to report it by, its bytes, and when it was written."""

    name: str
    content: bytes
    written_at: datetime


def dump_files(path: Path) -> list[Path]:
    """The ``.txt`` and ``.zip`` files a path names: itself, or those in its tree, sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InvalidValueError("path", str(path), "is neither a file nor a folder")
    return sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".zip")
    )


def dumps_in(path: Path) -> Iterator[Dump]:
    """The text dumps of one file: itself, or the ``.txt`` members of a zip."""
    if path.suffix.lower() != ".zip":
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        yield Dump(path.name, path.read_bytes(), written)
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InvalidValueError(path.name, "zip", "is not a readable zip archive") from None
    with archive:
        for member in sorted(archive.infolist(), key=lambda m: m.filename):
            if member.is_dir() or not member.filename.lower().endswith(".txt"):
                continue
            name = f"{path.name}!{member.filename}"
            if member.flag_bits & 0x1:
                raise InvalidValueError(name, "zip member", "is encrypted; unpack it first")
            if member.file_size > MAX_MEMBER_BYTES:
                raise InvalidValueError(
                    name, member.file_size, f"bytes is more than {MAX_MEMBER_BYTES} bytes"
                )
            written = datetime(*member.date_time, tzinfo=UTC)
            yield Dump(name, archive.read(member), written)
