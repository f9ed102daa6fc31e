"""Synthetic sinkhole hits, rendered straight to JSON lines by id range."""

from __future__ import annotations

import json
import random
import string
from datetime import datetime
from typing import Final

import numpy as np

from tipwire.providers.ctac.synth import (
    AddressPool,
    Draws,
    cumulative,
    malform,
    malformed_mask,
    stream_key,
    timestamps,
)
from tipwire.providers.ctac.vocab_sinkhole import (
    DGA_WORDS,
    DOMAINS_PER_FAMILY,
    FAMILIES,
    SINKHOLES_V4,
    SINKHOLES_V6,
    Family,
)

STEP_SECONDS: Final = 2.6  # about a million hits a month, as a busy sinkhole sees

# Field numbers of the random streams; distinct so that fields are independent.
_FAMILY, _COMBO, _TIME, _PORT, _BREAK, _BROKEN, _ADDRESS = 0, 1, 2, 3, 4, 5, 10


def _domain(rng: random.Random, family: Family) -> str:
    """Return one sinkholed domain in the family's naming style."""
    low, high = family.name_length
    if family.domain_style == "words":
        label = "".join(rng.choice(DGA_WORDS) for _ in range(low))
    elif family.domain_style == "hex":
        label = rng.choice(string.ascii_lowercase) + "".join(
            rng.choice("0123456789abcdef") for _ in range(low - 1)
        )
    else:
        label = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(low, high)))
    return f"{label}.{rng.choice(family.tlds)}"


def _request_json(family: Family, port: int, host: str, path: str, agent: str) -> str:
    """Return the JSON of the fields after the sinkhole address, already escaped."""
    return (
        f'"dst_port":{port},"http_host":{json.dumps(host)},"http_url":{json.dumps(path)},'
        f'"http_agent":{json.dumps(agent)},"malware_family":{json.dumps(family.name)}'
    )


class SinkholeSynth:
    """Renders sinkhole hit number n of a seed, the same for every call and every process."""

    def __init__(self, seed: int, epoch: datetime, malformed_rate: float = 0.0) -> None:
        rng = random.Random(stream_key(seed, "sinkhole-vocabulary"))
        self._key = stream_key(seed, "sinkhole")
        self._epoch = epoch
        self._malformed_rate = malformed_rate
        self._pool = AddressPool(rng)
        self._family_weights = cumulative([family.weight for family in FAMILIES])
        self._tails_v4: list[str] = []
        self._tails_v6: list[str] = []
        offsets, counts = [], []
        for family in FAMILIES:
            offsets.append(len(self._tails_v4))
            self._add_family(rng, family)
            counts.append(len(self._tails_v4) - offsets[-1])
        self._offsets = np.asarray(offsets, dtype=np.uint64)
        self._counts = np.asarray(counts, dtype=np.uint64)

    def _add_family(self, rng: random.Random, family: Family) -> None:
        """Add every (domain, path, agent, port) combination of a family to the tail tables."""
        # A family is usually sinkholed by one operator: give it two servers of each kind.
        v4 = rng.sample(SINKHOLES_V4, 2)
        v6 = rng.sample(SINKHOLES_V6, 2)
        for index in range(DOMAINS_PER_FAMILY):
            host = _domain(rng, family)
            for path in family.paths:
                for agent in family.agents:
                    port = family.ports[index % len(family.ports)]
                    request = _request_json(family, port, host, path, agent)
                    self._tails_v4.append(f'"sinkhole_ip":"{v4[index % 2]}",{request}')
                    self._tails_v6.append(f'"sinkhole_ip":"{v6[index % 2]}",{request}')

    def lines(self, first_id: int, stop_id: int) -> list[str]:
        """Return the JSON lines (without newlines) of hits ``first_id`` to ``stop_id - 1``."""
        if stop_id <= first_id:
            return []
        ids = np.arange(first_id, stop_id, dtype=np.int64)
        draws = Draws(ids, self._key)
        family = draws.weighted(_FAMILY, self._family_weights)
        combo = self._offsets[family] + draws.bits(_COMBO) % self._counts[family]
        seen = timestamps(ids, draws, _TIME, self._epoch, STEP_SECONDS)
        addresses = self._pool.addresses(draws, _ADDRESS)
        ports = (draws.below(_PORT, 64512) + 1024).tolist()
        tails4, tails6 = self._tails_v4, self._tails_v6
        lines = [
            f'{{"id":{record_id},"seen_at":"{at}","src_ip":"{ip}","src_port":{port},'
            f"{tails6[tail] if ':' in ip else tails4[tail]}}}"
            for record_id, at, ip, port, tail in zip(
                ids.tolist(), seen, addresses, ports, combo.tolist(), strict=True
            )
        ]
        broken = malformed_mask(draws, _BROKEN, self._malformed_rate)
        if broken:
            choices = draws.below(_BREAK, 60)
            for i in broken:
                lines[i] = malform(lines[i], int(choices[i]), "malware_family", "src_ip", "seen_at")
        return lines
