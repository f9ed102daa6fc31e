"""Model objects built the quick way equal those built with every check."""

from __future__ import annotations

from datetime import UTC, datetime

from tipwire.model import Attribute


def test_an_attribute_of_clean_values_equals_the_checked_one() -> None:
    seen = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert Attribute.of_clean("Source City", "MUNICH", seen) == Attribute(
        " Source City ", "MUNICH ", seen
    )
