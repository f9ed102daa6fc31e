"""Cutting a CTAC NDJSON export stream into record segments, each closed by a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tipwire.providers.ctac.codec import Checkpoint, decode_checkpoint
from tipwire.providers.ctac.errors import CtacProtocolError

# A checkpoint is the only line that starts with this; record lines start with {"id":.
# Finding a literal is a memchr-speed scan, which matters at a million lines a pull.
CHECKPOINT_PREFIX: Final = b'{"cursor":'
_NEWLINE: Final = ord("\n")

DEFAULT_MAX_SEGMENT_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Segment:
    """The record lines between two checkpoints and the checkpoint that closes them."""

    lines: bytes
    checkpoint: Checkpoint


class CheckpointSplitter:
    """Buffers stream chunks and hands out complete segments; memory stays one segment deep."""

    def __init__(self, max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES) -> None:
        self._buffer = bytearray()
        # Bytes of the buffer already searched for checkpoints; always at a line start.
        self._scanned = 0
        self._max_segment_bytes = max_segment_bytes

    def feed(self, chunk: bytes) -> list[Segment]:
        """Add a chunk of the stream; return the segments it completed."""
        buffer = self._buffer
        buffer += chunk
        complete = buffer.rfind(b"\n") + 1
        if complete <= self._scanned:
            self._check_size()
            return []
        segments: list[Segment] = []
        start = 0
        found = buffer.find(CHECKPOINT_PREFIX, self._scanned, complete)
        while found >= 0:
            end = buffer.find(b"\n", found)
            # Inside a record the prefix can only appear escaped, never at a line start.
            if found == 0 or buffer[found - 1] == _NEWLINE:
                checkpoint = decode_checkpoint(bytes(buffer[found:end]))
                segments.append(Segment(bytes(buffer[start:found]), checkpoint))
                start = end + 1
            found = buffer.find(CHECKPOINT_PREFIX, end, complete)
        if start:
            del buffer[:start]
        self._scanned = complete - start
        self._check_size()
        return segments

    def _check_size(self) -> None:
        """Refuse to buffer without bound when the server stops sending checkpoints."""
        if len(self._buffer) > self._max_segment_bytes:
            raise CtacProtocolError(
                f"CTAC export sent more than {self._max_segment_bytes} bytes without a checkpoint"
            )
