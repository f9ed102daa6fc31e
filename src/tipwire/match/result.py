"""The answer for one page of items: which monitored key, if any, each item matched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True, eq=False)
class PageMatch:
    """Per item of a page, the index of the key it matched (-1: none), plus the invalid items."""

    index: npt.NDArray[np.intp]
    """For each item, its position in ``keys``, or -1 when it matched nothing or is invalid."""
    invalid: npt.NDArray[np.intp]
    """Positions (ascending) of the items that could not be parsed at all."""
    keys: tuple[str, ...]
    """What ``index`` points into: the monitored blocks or domains, in canonical form."""

    def __len__(self) -> int:
        """Return the number of items on the page."""
        return len(self.index)

    def key(self, position: int) -> str | None:
        """Return the key the item at ``position`` matched, or None."""
        found = int(self.index[position])
        return None if found < 0 else self.keys[found]

    def matched(self) -> npt.NDArray[np.intp]:
        """Return the positions (ascending) of the items that matched a key."""
        return np.flatnonzero(self.index >= 0)

    def hits(self) -> Iterator[tuple[int, str]]:
        """Yield (position, key) for every item that matched, in page order."""
        positions = self.matched()
        for position, found in zip(positions.tolist(), self.index[positions].tolist(), strict=True):
            yield position, self.keys[found]
