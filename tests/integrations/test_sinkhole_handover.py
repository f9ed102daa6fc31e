"""A large sinkhole pull handed to a worker mid-way yields the pages a pull in the run yields."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tipwire.exchange.http import http_factory
from tipwire.integrations.ctac_sinkhole import CtacSinkholeIntegration, _pages
from tipwire.integrations.sinkhole_pull import EXPORT_CHECKPOINT, SinkholePull, matched_pages
from tipwire.match import NetworkSet
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig

from .test_offload import children

KEY = "handover-test-key"
BLOCKS = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:1000::/36"]


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    config = SimulatorConfig(seed=5, api_key=KEY, backlog=3 * EXPORT_CHECKPOINT + 123)
    with run_simulator(config) as running:
        yield running


def pull_from(simulator: RunningSimulator) -> SinkholePull:
    return SinkholePull(
        simulator.base_url,
        KEY,
        5.0,
        NetworkSet.from_strings(BLOCKS),
        None,
        http_factory(CtacSinkholeIntegration),
    )


def test_pages_after_the_hand_over_are_those_of_a_pull_in_the_run(
    simulator: RunningSimulator,
) -> None:
    pull = pull_from(simulator)
    expected = list(matched_pages(pull))
    assert len(expected) == 4
    with _pages(pull, worker_after=1, worker_within=0) as pages:
        first = next(pages)
        second = next(pages)  # the worker has started; it takes over after this page
        assert len(children(os.getpid())) == 1
        got = [first, second, *pages]
    assert got == expected
    assert sum(page.fetched for page in got) == 3 * EXPORT_CHECKPOINT + 123
    assert sum(len(page.matched) for page in got) > 0


def test_a_pull_smaller_than_the_threshold_stays_in_the_run(simulator: RunningSimulator) -> None:
    pull = pull_from(simulator)
    with _pages(pull, worker_after=10 * EXPORT_CHECKPOINT, worker_within=0) as pages:
        got = list(pages)
        assert children(os.getpid()) == []
    assert got == list(matched_pages(pull))
