"""TLP labels of sources, reduced to the one label a shared object must carry."""

from __future__ import annotations

from collections.abc import Iterable

from tipwire.model import Tlp

# From least to most restrictive: an object reported by several sources carries the strictest.
ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


def strictest(labels: Iterable[str], default: Tlp = Tlp.AMBER) -> Tlp:
    """The most restrictive of these TLP labels (``default`` when there are none)."""
    parsed = [Tlp.parse(label) for label in labels]
    if not parsed:
        return default
    return max(parsed, key=ORDER.index)


def misp_tag(tlp: Tlp) -> str:
    """The MISP taxonomy tag for a TLP label, such as ``tlp:amber+strict``."""
    return tlp.value.lower()
