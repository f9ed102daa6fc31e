"""Infostealer logs monitor: your domains' credentials in stealer dumps, as keylogger Events.

Infostealers (the modern keylogger) dump the credentials saved on a victim's machine into
text files that circulate in folders and zip archives. This integration reads them, from a
path given once (``tipwire import stealer-logs PATH``) or from a watched folder on a
schedule, keeps the logins of the monitored email domains that came with a password, and
makes the same Events, Indicators and policies as the CTAC keylogger monitor. Passwords are
read only to note that one was captured; they are never kept, logged or shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from tipwire.errors import ConfigurationError
from tipwire.exchange import Domains, Integration, IntegrationConfig, RunContext, StatusName
from tipwire.integrations import credential_events
from tipwire.integrations.credential_events import CredentialMapping
from tipwire.integrations.report_files import (
    FileReport,
    batch_name,
    bytes_digest,
    cursor_with_state,
    file_digest,
    file_event_keys,
    state_of,
)
from tipwire.match import DomainSet
from tipwire.model import IngestBatch, Source, Status, Tlp
from tipwire.providers.stealer_logs.parser import Refused, StolenCredential, credential_blocks
from tipwire.providers.stealer_logs.sources import Dump, dump_files, dumps_in

NAME = "stealer-logs"
SOURCE = Source("Infostealer Logs", Tlp.AMBER)
PROVIDER = "Infostealer logs"
KIND = "credentials"
_DIGEST_KEPT = 32  # hex characters of a processed file's digest kept in the cursor


class StealerLogsConfig(IntegrationConfig):
    """Settings of the infostealer logs monitor."""

    domains: Domains = Field(min_length=1)
    include_subdomains: bool = True
    email_status: StatusName = Status.WHITELISTED
    folder: str | None = None
    """A folder to watch for new dumps (.txt, .zip); not needed for one-off imports."""


@dataclass(frozen=True, slots=True)
class StealerMonitor:
    """The domains a stealer-log import matches against, and how it maps what matched."""

    domains: DomainSet
    mapping: CredentialMapping


def monitor_for(config: StealerLogsConfig) -> StealerMonitor:
    """The domains and mapping of a configured monitor."""
    return StealerMonitor(
        DomainSet.from_strings(
            config.domains, include_subdomains=config.include_subdomains, field="domains"
        ),
        CredentialMapping(PROVIDER, SOURCE, Status(config.email_status)),
    )


def dump_batch(monitor: StealerMonitor, dump: Dump, report: FileReport) -> IngestBatch:
    """One batch for one text dump: an Event per monitored domain with captured credentials."""
    digest = bytes_digest(dump.content)
    text = dump.content.decode("utf-8", errors="replace")
    emails: list[StolenCredential] = []
    for found in credential_blocks(text, dump.written_at):
        report.rows += 1
        if isinstance(found, Refused):
            report.skip(found.line, found.reason)
        elif found.email:
            emails.append(found)
    matches = monitor.domains.match([credential.email for credential in emails])
    for position in matches.invalid.tolist():
        report.skip(emails[position].line, "credential block's login is not a valid email address")
    matched = [
        (emails[position], domain)
        for position, domain in matches.hits()
        if emails[position].password_captured  # only what calls for a reset, as for keyloggers
    ]
    dropped: list[int] = []

    def skip(credential: object, why: str) -> None:
        dropped.append(1)
        # The reason names the field; the login and URL are the only values it may carry.
        report.skip(getattr(credential, "line", 0), why[:200])

    batch = credential_events.batch_for_page(
        monitor.mapping,
        matched,
        file_event_keys(NAME, digest, KIND),
        cursor=batch_name(digest, 0),
        skip=skip,
    )
    report.matched += len(matched) - len(dropped)
    return batch


def path_batches(
    monitor: StealerMonitor,
    path: Path,
    reports: list[FileReport],
    on_skip: Callable[[str, int, str], None] | None = None,
) -> Iterator[IngestBatch]:
    """A batch per dump in one file (itself, or each member of a zip), each with its report.

    Each dump's report is appended to ``reports`` before its batch is yielded; ``on_skip``
    hears of every malformed block as (dump name, line, reason).
    """
    for dump in dumps_in(path):
        report = FileReport(dump.name, KIND)
        if on_skip is not None:
            report.on_skip = lambda line, why, name=dump.name: on_skip(name, line, why)
        reports.append(report)
        yield dump_batch(monitor, dump, report)


class StealerLogsIntegration(Integration[StealerLogsConfig]):
    """Turns stealer-log credentials of your domains into Login Compromise events."""

    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Infostealer logs monitor"
    description: ClassVar[str] = (
        "Credentials of your email domains found in infostealer log dumps (text files and "
        "zip archives) in a watched folder."
    )
    version: ClassVar[str] = "0.1.0"
    Config: ClassVar[type[IntegrationConfig]] = StealerLogsConfig
    schedule: ClassVar[str] = "*/30 * * * *"

    def run(self, config: StealerLogsConfig, context: RunContext) -> Iterator[IngestBatch]:
        """Import every dump in the watched folder that no earlier run processed."""
        if not config.folder:
            raise ConfigurationError(
                "stealer-logs: set folder to watch a folder "
                "(a path is imported once with: tipwire import stealer-logs PATH)"
            )
        folder = Path(config.folder).expanduser()
        if not folder.is_dir():
            raise ConfigurationError(f"stealer-logs: folder {str(folder)!r} is not a folder")
        monitor = monitor_for(config)
        done: list[str] = list(state_of(context.cursor).get("done", []))
        seen = set(done)
        for path in dump_files(folder):
            digest = file_digest(path)[:_DIGEST_KEPT]
            if digest in seen:
                continue

            reports: list[FileReport] = []
            for batch in path_batches(
                monitor,
                path,
                reports,
                lambda name, line, why: context.skip(f"{name} line {line}", why),
            ):
                context.count(fetched=reports[-1].rows, matched=reports[-1].matched)
                batch.cursor = cursor_with_state(batch.cursor or "", {"done": done})
                yield batch
            seen.add(digest)
            done.append(digest)
            yield IngestBatch(SOURCE, cursor=cursor_with_state(digest, {"done": done}))
