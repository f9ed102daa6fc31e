"""A large sinkhole report is read in a worker process: the batches are those read in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tipwire.integrations import shadowserver_reports
from tipwire.integrations.report_files import FileReport
from tipwire.integrations.shadowserver import ShadowserverConfig, monitor_for
from tipwire.model import IngestBatch

from .conftest import BLOCKS, DATA

REPORTS = [
    (DATA / "2024-05-01-event4_sinkhole_http-example-asn.csv", "event4_sinkhole_http"),
    (DATA / "2024-05-02-event6_sinkhole_http_example_com-asn.csv", "event6_sinkhole_http"),
    (DATA / "2019-03-01-botnet_drone-example-asn.csv", "botnet_drone"),
]


def imported(path: Path, report_type: str) -> tuple[list[Any], dict[str, Any]]:
    """The batches of one report, as plain data, and what its report says."""
    monitor = monitor_for(ShadowserverConfig(cidr_blocks=BLOCKS))
    report = FileReport(path.name, report_type)
    progress: list[int] = []
    batches = list(
        shadowserver_reports.report_batches(
            monitor, path, report_type, report, progress=progress.append
        )
    )
    assert progress and progress[-1] == path.stat().st_size
    return [plain(batch) for batch in batches], report.as_dict()


def plain(batch: IngestBatch) -> Any:
    return (
        batch.cursor,
        [(e.key, e.title, e.happened_at, e.counters, e.attributes) for e in batch.events],
        [
            (i.type, i.value, i.status, i.first_seen, i.last_seen, i.counters, i.attributes)
            for i in batch.indicators
        ],
        batch.relations,
    )


@pytest.mark.parametrize(("path", "report_type"), REPORTS)
def test_a_report_read_by_a_worker_makes_the_same_batches(
    path: Path, report_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_place = imported(path, report_type)
    monkeypatch.setattr(shadowserver_reports, "OFFLOAD_BYTES", 0)  # every file is "large"
    started: list[object] = []
    real = shadowserver_reports.offloaded

    def spy(*args: Any, **kwargs: Any) -> Any:
        started.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(shadowserver_reports, "offloaded", spy)
    assert imported(path, report_type) == in_place
    assert started == [shadowserver_reports.matched_chunks]
    assert in_place[1]["rows"] > 0 and in_place[0]


def test_a_worker_that_finds_a_bad_row_reports_it_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shadowserver_reports, "OFFLOAD_BYTES", 0)
    _, report = imported(*REPORTS[0])
    assert (report["rows"], report["matched"], report["malformed"]) == (7, 3, 3)
    assert {"line": 6, "reason": "src_ip 'not-an-address' is not an IP address"} in report[
        "malformed_lines"
    ]
