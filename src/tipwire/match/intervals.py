"""Disjoint labelled intervals built from nested CIDR blocks, and vectorised lookups in them."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

NO_LABEL = -1

# From this many values per segment on, walking the table beats searching it.
_MERGE_RATIO = 4
_HIGH_HALF = 1 if sys.byteorder == "little" else 0  # of a uint64 viewed as two uint32


def flatten(blocks: Sequence[tuple[int, int, int]]) -> tuple[list[int], list[int]]:
    """Turn (first, last, label) blocks into sorted segment starts, each with its innermost block.

    Blocks must be laminar (any two are nested or disjoint), as CIDR blocks always are.
    The segments cover the whole space from 0; uncovered stretches carry ``NO_LABEL``.
    Of two blocks spanning the same addresses, the one with the smaller label wins.
    """
    starts: list[int] = [0]
    labels: list[int] = [NO_LABEL]

    def open_segment(start: int, label: int) -> None:
        if starts[-1] == start:  # an empty segment: the newer one replaces it
            starts.pop()
            labels.pop()
        if not labels or labels[-1] != label:
            starts.append(start)
            labels.append(label)

    # Outer blocks first, so that each block is pushed after every block that contains it.
    ordered = sorted((first, -last, -label) for first, last, label in blocks)
    open_blocks: list[tuple[int, int]] = []  # (last, label), innermost on top
    for first, negative_last, negative_label in ordered:
        last, label = -negative_last, -negative_label
        while open_blocks and open_blocks[-1][0] < first:
            closed_last, _ = open_blocks.pop()
            open_segment(closed_last + 1, open_blocks[-1][1] if open_blocks else NO_LABEL)
        open_segment(first, label)
        open_blocks.append((last, label))
    while open_blocks:
        closed_last, _ = open_blocks.pop()
        open_segment(closed_last + 1, open_blocks[-1][1] if open_blocks else NO_LABEL)
    return starts, labels


class IPv4Table:
    """Segments of the IPv4 space, looked up by 32-bit address values."""

    def __init__(self, blocks: Sequence[tuple[int, int, int]]) -> None:
        starts, labels = flatten(blocks)
        if starts[-1] > 0xFFFFFFFF:  # the segment after a block that ends the space
            starts.pop()
            labels.pop()
        self.starts = np.array(starts, dtype=np.uint32)
        self.labels = np.array(labels, dtype=np.intp)

    def lookup(self, values: npt.NDArray[np.uint32]) -> npt.NDArray[np.intp]:
        """Return the label of the segment holding each value."""
        count = len(values)
        # Sorted values are searched far faster (the search path stays in cache), and
        # one sort of (value, position) pairs packed in 64 bits also says where each goes.
        keys = (values.astype(np.uint64) << np.uint64(32)) | np.arange(count, dtype=np.uint64)
        keys.sort()
        halves = keys.view(np.uint32).reshape(count, 2)
        sorted_values, positions = halves[:, _HIGH_HALF], halves[:, 1 - _HIGH_HALF]
        if count >= _MERGE_RATIO * len(self.starts):
            # Far more values than segments: count the values falling in each segment.
            first_in_segment = np.searchsorted(sorted_values, self.starts, side="left")
            in_order = np.repeat(self.labels, np.diff(first_in_segment, append=count))
        else:
            in_order = self.labels[np.searchsorted(self.starts, sorted_values, side="right") - 1]
        found = np.empty(count, dtype=np.intp)
        found[positions] = in_order
        return found


class IPv6Table:
    """Segments of the IPv6 space, looked up by addresses split into high and low 64 bits."""

    def __init__(self, blocks: Sequence[tuple[int, int, int]]) -> None:
        starts, labels = flatten(blocks)
        if starts[-1] >= 1 << 128:
            starts.pop()
            labels.pop()
        mask = (1 << 64) - 1
        self.high = np.array([start >> 64 for start in starts], dtype=np.uint64)
        self.low = np.array([start & mask for start in starts], dtype=np.uint64)
        self.labels = np.array(labels, dtype=np.intp)

    def lookup(
        self, high: npt.NDArray[np.uint64], low: npt.NDArray[np.uint64]
    ) -> npt.NDArray[np.intp]:
        """Return the label of the segment holding each (high, low) address."""
        after = np.searchsorted(self.high, high, side="right")
        found = after - 1  # the last start whose high half is not above the address
        # Where that start shares the address's high half, the low halves decide, and
        # several starts may share it (e.g. nested blocks longer than /64).
        tied = np.flatnonzero(self.high[found] == high)
        if len(tied):
            first = np.searchsorted(self.high, high[tied], side="left")
            found[tied] = self._last_low_not_above(first, after[tied], low[tied])
        return self.labels[found]

    def _last_low_not_above(
        self,
        first: npt.NDArray[np.intp],
        stop: npt.NDArray[np.intp],
        low: npt.NDArray[np.uint64],
    ) -> npt.NDArray[np.intp]:
        """Bisect each range [first, stop) for the last low half <= low, or first - 1 if none."""
        left, right = first.copy(), stop.copy()
        top = len(self.low) - 1
        while True:
            active = left < right
            if not active.any():
                return left - 1
            middle = (left + right) >> 1
            not_above = self.low[np.minimum(middle, top)] <= low
            left = np.where(active & not_above, middle + 1, left)
            right = np.where(active & ~not_above, middle, right)
