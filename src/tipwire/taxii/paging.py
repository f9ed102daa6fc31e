"""Where an object sits in a collection, and the ``next`` token that names that place."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from tipwire.taxii.media import TaxiiError, parse_timestamp, timestamp


class Rank(IntEnum):
    """Which kind of object comes first among objects added at the same moment."""

    MARKING = 0
    IDENTITY = 1
    INDICATOR = 2


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """An object's place: when it was added, then its kind and row id to break ties.

    Pages follow positions rather than offsets, so an indicator that changes while a client
    pages moves to the end (it is sent again, changed) instead of shifting every page after it.
    """

    date_added: datetime
    rank: Rank
    tie: int

    def token(self) -> str:
        """The opaque ``next`` token for the page after this position."""
        text = f"{timestamp(self.date_added)}|{self.rank.value}|{self.tie}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> Position:
        """The position a ``next`` token names, or a 400."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, rank, tie = text.split("|")
            return cls(parse_timestamp("next", moment), Rank(int(rank)), int(tie))
        except (binascii.Error, UnicodeDecodeError, ValueError, TaxiiError):
            raise TaxiiError(
                400, "Bad filter", f"next: {token[:64]!r} is not a token this server gave"
            ) from None
