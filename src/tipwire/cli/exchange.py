"""Commands of the Open Exchange: ``integrations ...``, ``run``, ``runs`` and ``scheduler``."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from tipwire.cli.common import console_error, open_store, print_json, stderr, stdout
from tipwire.config import Settings
from tipwire.errors import ConfigurationError
from tipwire.exchange import catalog, launch
from tipwire.exchange import runs as run_records
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.lease import LeaseHeldError
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner, RunOutcome
from tipwire.exchange.runs import RunStatus
from tipwire.exchange.scheduler import Scheduler, stop_on_signals
from tipwire.store import Store

EXIT_FAILED = 1
EXIT_LEASE_HELD = 75  # EX_TEMPFAIL: another process is running it; try again later

integrations_app = typer.Typer(
    help="Installed integrations: list, show, configure, enable, disable.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Name = Annotated[str, typer.Argument(metavar="NAME", help="Integration name, e.g. ctac-sinkhole.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log progress on stderr.")]


def _open() -> tuple[Store, Registry, ConfigStore]:
    settings = Settings()
    store = open_store(settings)
    registry = Registry.discover()
    return store, registry, ConfigStore(store.engine, registry, settings)


def _log_to_stderr(level: int) -> None:
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema checks are not news


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


@integrations_app.command("list")
def list_integrations(as_json: JsonFlag = False) -> None:
    """List installed integrations: enabled or not, schedule, last run."""
    store, registry, _ = _open()
    entries = catalog.summaries(store.engine, registry)
    store.close()
    if as_json:
        print_json(entries)
        return
    table = Table("name", "enabled", "schedule", "last run", "title", title="integrations")
    for entry in entries:
        if entry["problem"]:
            table.add_row(escape(entry["name"]), "-", "-", "broken", escape(entry["problem"]))
            continue
        last_run = entry["last_run"]
        started = str(last_run["started_at"])[:16].replace("T", " ") if last_run else ""
        when = f"{last_run['status']} {started}" if last_run else "never"
        enabled = "yes" if entry["enabled"] else "no"
        table.add_row(entry["name"], enabled, entry["schedule"], when, escape(entry["title"]))
    stdout.print(table)


@integrations_app.command("show")
def show(name: Name, as_json: JsonFlag = False) -> None:
    """Show an integration and its settings; secret values are masked."""
    store, registry, config_store = _open()
    integration = registry.get(name)
    details = catalog.details(config_store, name)
    store.close()
    shown, schedule = details["settings"], details["schedule"]
    if as_json:
        print_json(details)
        return
    stdout.print(f"[bold]{escape(integration.title)}[/] ({name} {escape(integration.version)})")
    stdout.print(escape(integration.description))
    state = "enabled" if details["enabled"] else "disabled"
    stdout.print(f"{state}; schedule {schedule} (UTC); cursor {details['cursor'] or '(start)'}")
    chosen = details["chosen"]
    table = Table("setting", "value", "", title="settings")
    for field in integration.Config.model_fields:
        if field not in shown:
            table.add_row(field, "(not set)", "required")
            continue
        value = schedule if field == "schedule" else shown[field]
        table.add_row(field, escape(_text(value)), "set" if field in chosen else "default")
    stdout.print(table)


@integrations_app.command("configure")
def configure(
    name: Name,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="A setting to change (repeatable)."),
    ] = None,
    removals: Annotated[
        list[str] | None,
        typer.Option("--unset", metavar="KEY", help="A setting to return to its default."),
    ] = None,
    from_files: Annotated[
        list[str] | None,
        typer.Option(
            "--set-from-file",
            metavar="KEY=PATH",
            help="A setting read from a file, one item per line (for long lists of blocks).",
        ),
    ] = None,
) -> None:
    """Change some settings; the others stay, and the result is validated as a whole."""
    changes: dict[str, str] = {}
    for assignment in assignments or []:
        key, equals, value = assignment.partition("=")
        if not equals or not key.strip():
            raise ConfigurationError(f"--set expects KEY=VALUE, not {assignment!r}")
        changes[key.strip()] = value
    for assignment in from_files or []:
        key, equals, path = assignment.partition("=")
        if not equals or not key.strip():
            raise ConfigurationError(f"--set-from-file expects KEY=PATH, not {assignment!r}")
        changes[key.strip()] = _read_list(Path(path))
    if not changes and not removals:
        raise ConfigurationError("nothing to change: give --set KEY=VALUE or --unset KEY")
    store, _, config_store = _open()
    try:
        config_store.configure(name, changes, removals or [])
    finally:
        store.close()
    touched = ", ".join([*changes, *(removals or [])])
    stdout.print(f"{name}: saved ({touched})")


def _read_list(path: Path) -> str:
    """A file's non-empty lines (``#`` starts a comment) as one comma-separated value."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    items = [line.split("#", 1)[0].strip() for line in lines]
    return ",".join(item for item in items if item)


@integrations_app.command("enable")
def enable(name: Name) -> None:
    """Let the scheduler and `tipwire run` run an integration (its settings must be valid)."""
    _switch(name, enabled=True)


@integrations_app.command("disable")
def disable(name: Name) -> None:
    """Stop running an integration; its settings and cursor are kept."""
    _switch(name, enabled=False)


def _switch(name: str, *, enabled: bool) -> None:
    store, _, config_store = _open()
    try:
        config_store.set_enabled(name, enabled)
    finally:
        store.close()
    stdout.print(f"{name} is {'enabled' if enabled else 'disabled'}")


def _terminate(_signum: int, _frame: object) -> NoReturn:
    # Unwinds through the runner, which records the run as stopped and frees the lease.
    raise SystemExit(128 + signal.SIGTERM)


def run(
    name: Name,
    as_json: JsonFlag = False,
    verbose: Verbose = False,
    slot: Annotated[
        datetime | None,
        typer.Option(hidden=True, help="Skip if a run finished since this time (scheduler)."),
    ] = None,
) -> None:
    """Run an integration once (for cron): exit 0 done, 1 run failed, 2 not runnable, 75 busy."""
    _log_to_stderr(logging.INFO if verbose else logging.WARNING)
    signal.signal(signal.SIGTERM, _terminate)
    settings = Settings()
    store = open_store(settings)
    runner = Runner(store.engine, Registry.discover(name), settings)
    try:
        outcome = runner.run(name, not_before=slot)
    except LeaseHeldError as exc:
        console_error(escape(str(exc)))
        raise typer.Exit(EXIT_LEASE_HELD) from None
    finally:
        store.close()
    _report(outcome, as_json)
    if outcome.status is RunStatus.FAILED:
        raise typer.Exit(EXIT_FAILED)


def _report(outcome: RunOutcome, as_json: bool) -> None:
    totals = outcome.totals
    if as_json:
        print_json({"name": outcome.name, "run_id": outcome.run_id, "status": outcome.status})
    elif outcome.run_id is None:
        stdout.print(f"{outcome.name}: skipped, it already ran for this slot")
    else:
        stdout.print(
            f"{outcome.name}: run {outcome.run_id} {outcome.status}: {totals.batches} batches, "
            f"{totals.fetched} records fetched, {totals.matched} matched, "
            f"{totals.malformed} malformed"
        )
    if outcome.status is RunStatus.FAILED:
        console_error(escape(f"run {outcome.run_id} of {outcome.name} failed: {outcome.error}"))
    elif outcome.status is RunStatus.PARTIAL:
        stderr.print(f"warning: {totals.malformed} malformed records were skipped; see `runs`")


def list_runs(
    name: Name,
    as_json: JsonFlag = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many runs.")] = 20,
) -> None:
    """Show an integration's activity log, newest run first."""
    store, registry, _ = _open()
    registry.get(name)
    with store.read() as connection:
        views = run_records.list_runs(connection, name, limit)
    store.close()
    if as_json:
        print_json([view.as_dict() for view in views])
        return
    table = Table("id", "status", "started (UTC)", "records", "objects", "error")
    for view in views:
        counts = view.records
        failures = [e["message"] for e in view.errors if e["kind"] == "failure"]
        table.add_row(
            str(view.id),
            view.status,
            f"{view.started_at:%Y-%m-%d %H:%M:%S}",
            "{records_fetched}/{records_matched}/{records_malformed}".format(**counts),
            "{objects_created}/{objects_updated}".format(**counts),
            escape(failures[-1][:60]) if failures else "",
        )
    table.caption = "records: fetched/matched/malformed; objects: created/updated"
    stdout.print(table)


def scheduler(
    once: Annotated[
        bool, typer.Option("--once", help="Start what is due, wait for it, and exit.")
    ] = False,
    max_parallel: Annotated[int, typer.Option(min=1, help="Runs at the same time.")] = 4,
) -> None:
    """Run every enabled integration on its schedule; missed slots run once at start."""
    _log_to_stderr(logging.INFO)
    store, registry, _ = _open()
    worker = Scheduler(store.engine, registry, list(launch.COMMAND), max_parallel=max_parallel)
    stop_on_signals(worker)
    try:
        if once:
            worker.run_once()
        else:
            worker.run_forever()
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    """Add these commands to the main app."""
    app.add_typer(integrations_app, name="integrations")
    app.command("run")(run)
    app.command("runs")(list_runs)
    app.command("scheduler")(scheduler)
