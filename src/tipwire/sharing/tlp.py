"""TLP labels of sources, reduced to the one label a shared object must carry."""

from __future__ import annotations

from collections.abc import Iterable

import stix2

from tipwire.model import Tlp

# From least to most restrictive: an object reported by several sources carries the strictest.
ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)

# STIX 2.1 defines TLP 1.0 markings. AMBER+STRICT has no equal there: it maps to RED so that
# a label is never loosened on the way out.
STIX_MARKINGS = {
    Tlp.CLEAR: stix2.TLP_WHITE,
    Tlp.GREEN: stix2.TLP_GREEN,
    Tlp.AMBER: stix2.TLP_AMBER,
    Tlp.AMBER_STRICT: stix2.TLP_RED,
    Tlp.RED: stix2.TLP_RED,
}


def strictest(labels: Iterable[str], default: Tlp = Tlp.AMBER) -> Tlp:
    """The most restrictive of these TLP labels (``default`` when there are none)."""
    parsed = [Tlp.parse(label) for label in labels]
    if not parsed:
        return default
    return max(parsed, key=ORDER.index)


def misp_tag(tlp: Tlp) -> str:
    """The MISP taxonomy tag for a TLP label, such as ``tlp:amber+strict``."""
    return tlp.value.lower()
