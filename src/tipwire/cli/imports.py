"""``tipwire import ...``: feed provider files through a configured monitor, once.

Each file is imported in one transaction, so a file that fails half-way stores nothing;
importing the same file again adds nothing, since its events and counters are named after
its content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from tipwire.cli.common import console_error, open_store, print_json, stderr, stdout
from tipwire.errors import TipwireError

if TYPE_CHECKING:
    from tipwire.integrations.report_files import FileReport
    from tipwire.model import IngestBatch
    from tipwire.store import Store

# The monitors and readers are imported by the commands that use them, so that other
# commands (`tipwire run` above all) do not pay for loading them.

LARGE_FILE = 8 << 20
"""Files at least this big get a progress bar on stderr."""
EXIT_SOME_FAILED = 1

import_app = typer.Typer(
    help="Import provider files through a configured monitor: shadowserver, stealer-logs.",
    no_args_is_help=True,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON report per file.")]


def _open(name: str) -> tuple[Store, Any]:
    from tipwire.config import Settings
    from tipwire.exchange.configs import ConfigStore
    from tipwire.exchange.registry import Registry

    settings = Settings()
    store = open_store(settings)
    try:
        config = ConfigStore(store.engine, Registry.discover(name), settings).validated(name)
    except TipwireError:
        store.close()
        raise
    return store, config


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for a large file; yields its update function (or None)."""
    size = path.stat().st_size
    if size < LARGE_FILE:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task(escape(path.name), total=size)
        yield lambda done: progress.update(task, completed=done)


def _store(store: Store, batches: Iterator[IngestBatch]) -> None:
    """Ingest a file's batches in one transaction."""
    from tipwire.store.ingest import ingest

    with store.write() as connection:
        for batch in batches:
            if len(batch):
                ingest(connection, batch)


def _show(report: FileReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    kind = f" ({report.report_type})" if report.report_type else ""
    stdout.print(
        f"{escape(report.name)}{escape(kind)}: {report.rows:,} rows read, "
        f"{report.matched:,} matched, {report.malformed:,} malformed"
    )
    for line, reason in sorted(report.problems):
        stdout.print(f"  line {line}: {escape(reason)}")
    if report.malformed > len(report.problems):
        stdout.print(f"  ... and {report.malformed - len(report.problems):,} more malformed")


def _finish(reports: list[FileReport], failed: int, as_json: bool) -> None:
    from tipwire.integrations.report_files import total

    rows, matched, malformed = total(reports)
    if not as_json and len(reports) > 1:
        stdout.print(
            f"{len(reports)} files: {rows:,} rows read, {matched:,} matched, "
            f"{malformed:,} malformed"
        )
    if failed:
        raise typer.Exit(EXIT_SOME_FAILED)


@import_app.command("shadowserver")
def import_shadowserver(
    files: Annotated[list[Path], typer.Argument(help="Report CSV files.", show_default=False)],
    report_type: Annotated[
        str | None,
        typer.Option("--type", help="The report type, when file names do not carry it."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import Shadowserver report files with the shadowserver integration's settings."""
    from tipwire.integrations import shadowserver
    from tipwire.integrations.report_files import FileReport
    from tipwire.integrations.shadowserver_reports import NAME, report_batches, type_of_file
    from tipwire.providers.shadowserver.reports import check_report_type

    given = check_report_type(report_type) if report_type else None
    store, config = _open(NAME)
    monitor = shadowserver.monitor_for(config)
    reports: list[FileReport] = []
    failed = 0
    try:
        for path in files:
            report = FileReport(path.name)
            try:
                report.report_type = type_of_file(path, given)
                with _progress(path) as progress:
                    _store(
                        store,
                        report_batches(
                            monitor, path, report.report_type, report, progress=progress
                        ),
                    )
            except (TipwireError, OSError, UnicodeError) as exc:
                failed += 1
                console_error(f"{path}: nothing imported: {exc}")
                continue
            reports.append(report)
            _show(report, as_json)
    finally:
        store.close()
    _finish(reports, failed, as_json)


@import_app.command("stealer-logs")
def import_stealer_logs(
    paths: Annotated[
        list[Path], typer.Argument(help="Text dumps, zips, or folders of them.", show_default=False)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Import infostealer logs with the stealer-logs integration's settings; no password is kept."""
    from tipwire.integrations import stealer_logs
    from tipwire.providers.stealer_logs.sources import dump_files

    store, config = _open(stealer_logs.NAME)
    monitor = stealer_logs.monitor_for(config)
    reports: list[FileReport] = []
    failed = 0
    try:
        for path in paths:
            try:
                files = dump_files(path)
            except TipwireError as exc:
                failed += 1
                console_error(str(exc))
                continue
            for file in files:
                done: list[FileReport] = []
                try:
                    _store(store, stealer_logs.path_batches(monitor, file, done))
                except (TipwireError, OSError) as exc:
                    failed += 1
                    console_error(f"{file}: nothing imported: {exc}")
                    continue
                for report in done:
                    reports.append(report)
                    _show(report, as_json)
    finally:
        store.close()
    _finish(reports, failed, as_json)


def register(app: typer.Typer) -> None:
    """Add ``tipwire import ...`` to the main app."""
    app.add_typer(import_app, name="import")
