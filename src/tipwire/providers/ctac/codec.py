"""Decoding CTAC wire data into typed records, reporting every record that does not fit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final, Generic, TypeVar

import msgspec

from tipwire.providers.ctac.errors import CtacProtocolError
from tipwire.providers.ctac.records import Cursor, KeyloggerCapture, KeyloggerWire, SinkholeHit

R = TypeVar("R")
T = TypeVar("T")

logger = logging.getLogger(__name__)

_MAX_REASON: Final = 300


@dataclass(frozen=True, slots=True)
class MalformedRecord:
    """A served record that does not fit the model: its id (``None`` if unreadable) and why."""

    id: int | str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Decoded(Generic[R]):
    """The records decoded from one piece of wire data and the ones that did not fit."""

    records: list[R]
    malformed: list[MalformedRecord]
    skipped: int = 0
    """Records read for their key alone and left out by the caller's selection."""


Selection = Callable[[list[str]], Iterable[int]]
"""Given each line's key (``""`` when unreadable), the positions of the lines to decode."""


class Envelope(msgspec.Struct, Generic[T]):
    """The Laravel-style page envelope, plus the cursor reached after its last record."""

    total: int
    per_page: int
    current_page: int
    last_page: int
    next_page_url: str | None
    cursor: str
    data: list[T]


@dataclass(frozen=True, slots=True)
class PageMeta:
    """Everything a page envelope says besides its records."""

    total: int
    current_page: int
    last_page: int
    next_page_url: str | None
    cursor: Cursor


class Checkpoint(msgspec.Struct, frozen=True):
    """An export control line: the cursor reached and how many record lines came before it."""

    cursor: str
    records: int
    end: bool = False


class _IdProbe(msgspec.Struct):
    """Just enough of a record to name it in a report."""

    id: int | str | None = None


_probe_decoder: Final = msgspec.json.Decoder(_IdProbe)
_raw_page_decoder: Final = msgspec.json.Decoder(Envelope[msgspec.Raw])
_checkpoint_decoder: Final = msgspec.json.Decoder(Checkpoint)


def _probe_id(item: bytes | msgspec.Raw) -> int | str | None:
    """Return the id of a record that failed to decode, if its id at least is readable."""
    try:
        return _probe_decoder.decode(item).id
    except ValueError:
        return None


def _reason(exc: ValueError) -> str:
    """Say why a record was refused; messages never quote the password (it is never decoded)."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= _MAX_REASON else text[:_MAX_REASON] + "..."


def decode_checkpoint(line: bytes) -> Checkpoint:
    """Decode one export checkpoint line or raise naming the problem."""
    try:
        return _checkpoint_decoder.decode(line)
    except ValueError as exc:
        raise CtacProtocolError(f"CTAC export sent an unreadable checkpoint line: {exc}") from None


class Feed(Generic[R]):
    """One CTAC record stream: the endpoint it lives at and how its records decode."""

    def __init__(
        self,
        name: str,
        record_type: type[R],
        wire_type: type[Any],
        finish: Callable[[Any], R] | None = None,
        key_field: str | None = None,
    ) -> None:
        self.name = name
        self.record_type = record_type
        # ``finish`` turns a wire struct into the public record; None means they are one type.
        self._finish = finish
        self._record_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(wire_type)
        self._page_decoder: msgspec.json.Decoder[Envelope[Any]] = msgspec.json.Decoder(
            Envelope[wire_type]  # type: ignore[valid-type]
        )
        # ``key_field`` names the one field a selection looks at (decode_selected).
        self._key_field = key_field
        if key_field is not None:
            probe = msgspec.defstruct(f"{name}_key", [(key_field, str)], gc=False)
            self._key_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(probe)
            self._key_of = attrgetter(key_field)

    def __repr__(self) -> str:
        """Name the feed."""
        return f"Feed({self.name!r})"

    def decode_lines(self, buf: bytes) -> Decoded[R]:
        """Decode NDJSON record lines, falling back to one line at a time when any is malformed."""
        try:
            wires = self._record_decoder.decode_lines(buf)
        except ValueError:
            return self._decode_each(buf.splitlines())
        return self._finish_all(wires)

    def decode_selected(self, buf: bytes, select: Selection) -> Decoded[R]:
        """Decode in full only the NDJSON lines ``select`` picks by their key field.

        Reading one field of a record is several times faster than decoding and checking all
        of it, so a caller that keeps few records (the sinkhole monitor keeps those from its
        blocks) reads the rest for their key alone: they are counted as ``skipped``, never
        checked further. A line whose key cannot be read is decoded in full, and so reported.
        """
        if self._key_field is None:
            raise TypeError(f"the {self.name} feed has no key field to select on")
        lines = buf.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        unreadable: list[int] = []
        try:
            keys: list[str] = list(map(self._key_of, self._key_decoder.decode_lines(buf)))
            if len(keys) != len(lines):
                raise ValueError("blank lines")
        except ValueError:
            lines = [line for line in lines if line.strip()]
            keys = []
            for position, line in enumerate(lines):
                try:
                    keys.append(self._key_of(self._key_decoder.decode(line)))
                except ValueError:
                    keys.append("")
                    unreadable.append(position)
        chosen = sorted({*select(keys), *unreadable})
        decoded = self._decode_each([lines[position] for position in chosen])
        return Decoded(decoded.records, decoded.malformed, len(lines) - len(chosen))

    def decode_page(self, body: bytes) -> tuple[PageMeta, Decoded[R]]:
        """Decode a page envelope and its records; an unreadable envelope is a protocol error."""
        envelope: Envelope[Any]
        try:
            envelope = self._page_decoder.decode(body)
        except ValueError:
            try:
                envelope = _raw_page_decoder.decode(body)
            except ValueError as exc:
                raise CtacProtocolError(
                    f"CTAC {self.name} answered with something that is not a page envelope: {exc}"
                ) from None
            decoded = self._decode_each(envelope.data)
        else:
            decoded = self._finish_all(envelope.data)
        meta = PageMeta(
            total=envelope.total,
            current_page=envelope.current_page,
            last_page=envelope.last_page,
            next_page_url=envelope.next_page_url,
            cursor=Cursor(envelope.cursor),
        )
        return meta, decoded

    def _finish_all(self, wires: list[Any]) -> Decoded[R]:
        """Turn decoded wire structs into records, reporting those the record type refuses."""
        finish = self._finish
        if finish is None:
            return Decoded(wires, [])
        records: list[R] = []
        malformed: list[MalformedRecord] = []
        for wire in wires:
            try:
                records.append(finish(wire))
            except ValueError as exc:
                malformed.append(MalformedRecord(wire.id, _reason(exc)))
        self._log(malformed)
        return Decoded(records, malformed)

    def _decode_each(self, items: Iterable[bytes | msgspec.Raw]) -> Decoded[R]:
        """Decode records one by one so a malformed one is reported with its id, not fatal."""
        decode = self._record_decoder.decode
        finish = self._finish
        records: list[R] = []
        malformed: list[MalformedRecord] = []
        for item in items:
            if isinstance(item, bytes) and not item.strip():
                continue
            try:
                wire = decode(item)
                records.append(finish(wire) if finish is not None else wire)
            except ValueError as exc:
                malformed.append(MalformedRecord(_probe_id(item), _reason(exc)))
        self._log(malformed)
        return Decoded(records, malformed)

    def _log(self, malformed: list[MalformedRecord]) -> None:
        """Warn once per batch, naming the first few ids, so operators see bad data arrive."""
        if malformed:
            ids = ", ".join(str(bad.id) for bad in malformed[:5])
            more = ", ..." if len(malformed) > 5 else ""
            logger.warning(
                "CTAC %s: %d malformed record(s) skipped (ids %s%s)",
                self.name,
                len(malformed),
                ids,
                more,
            )


SINKHOLE: Final[Feed[SinkholeHit]] = Feed("sinkhole", SinkholeHit, SinkholeHit, key_field="src_ip")
"""Sinkhole hits: infected hosts reaching sinkholed malicious domains."""

KEYLOGGER: Final[Feed[KeyloggerCapture]] = Feed(
    "keylogger", KeyloggerCapture, KeyloggerWire, KeyloggerWire.to_capture
)
"""Keylogger captures: credentials typed on infected machines, passwords reduced to a flag."""
