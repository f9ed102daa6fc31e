"""Shadowserver report files become the sinkhole and keylogger monitors' Events.

Sinkhole reports (``event4_sinkhole_http`` and kin, and the legacy ``botnet_drone``) are
matched against the monitored CIDR blocks and mapped exactly as the CTAC sinkhole monitor
maps its hits; ``compromised_account`` reports are matched against the monitored email
domains and mapped as the CTAC keylogger monitor maps its captures. A row's other columns
become attributes of its host or email address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from tipwire.errors import InvalidValueError
from tipwire.integrations import credential_events, sinkhole_events
from tipwire.integrations.credential_events import CredentialMapping
from tipwire.integrations.offload import offloaded
from tipwire.integrations.report_files import (
    FileReport,
    batch_name,
    file_digest,
    file_event_keys,
)
from tipwire.integrations.sinkhole_events import SinkholeMapping
from tipwire.match import DomainSet, NetworkSet
from tipwire.model import Attribute, Indicator, IndicatorType, IngestBatch, Source, Tlp
from tipwire.providers.shadowserver.reader import Chunk, ReportReader
from tipwire.providers.shadowserver.records import (
    Columns,
    CompromisedAccount,
    ReportHit,
    account_columns,
    compromised_account,
    sinkhole_columns,
    sinkhole_hit,
)
from tipwire.providers.shadowserver.reports import REPORT_TYPES, ReportKind, report_type_of

NAME = "shadowserver"
SOURCE = Source("Shadowserver", Tlp.AMBER)
_SAMPLE = 60
OFFLOAD_BYTES = 32 * 1024 * 1024
"""A sinkhole report this large (about 100,000 rows) is read and matched in a worker process,
which then runs beside the mapping and storing; a smaller one does not repay its start-up."""


@dataclass(frozen=True, slots=True)
class ShadowserverMonitor:
    """What a Shadowserver import matches against and how it maps what matched."""

    networks: NetworkSet
    domains: DomainSet
    sinkhole: SinkholeMapping
    accounts: CredentialMapping


def type_of_file(path: Path, given: str | None = None) -> str:
    """The report type of a file: the one given, or the one its name carries."""
    if given:
        return given
    found = report_type_of(path.name)
    if found is None:
        known = ", ".join(REPORT_TYPES)
        raise InvalidValueError(
            path.name,
            "file name",
            f"does not name a report type TipWire reads ({known}); give it with --type",
        )
    return found


def report_batches(
    monitor: ShadowserverMonitor,
    path: Path,
    report_type: str,
    report: FileReport,
    *,
    digest: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[IngestBatch]:
    """One batch per chunk of a report file's rows, each named after the file's content.

    ``report`` counts rows read, matched and malformed (by line) as the batches are made.
    A file whose header lacks a needed column raises before any batch.
    """
    kind = REPORT_TYPES[report_type]
    if kind is ReportKind.SINKHOLE:
        with ReportReader(path) as reader:  # a missing column raises here, before any batch
            sinkhole_columns(reader.header, path.name)
        job = SinkholeFile(path, monitor.networks)
        reading: AbstractContextManager[Iterator[MatchedChunk]] = (
            offloaded(matched_chunks, job) if _large(path) else nullcontext(matched_chunks(job))
        )
        with reading as chunks:
            # Digest the file while a worker starts up and reads the first chunk.
            digest = digest or file_digest(path)
            keys = file_event_keys(NAME, digest, report_type)
            for matched in chunks:
                report.rows += matched.rows
                for line, reason in matched.skips:
                    report.skip(line, reason)
                if progress is not None:
                    progress(matched.position)
                yield _sinkhole_batch(
                    monitor.sinkhole, matched.hits, keys, batch_name(digest, matched.number), report
                )
        return
    digest = digest or file_digest(path)
    keys = file_event_keys(NAME, digest, report_type)
    with ReportReader(path, progress=progress) as reader:
        columns = account_columns(reader.header, path.name)
        for chunk in reader.chunks():
            accounts = _accounts(monitor.domains, columns, chunk, report)
            yield _account_batch(
                monitor.accounts, accounts, keys, batch_name(digest, chunk.number), report
            )


def _large(path: Path) -> bool:
    return path.stat().st_size >= OFFLOAD_BYTES


@dataclass(frozen=True, slots=True)
class SinkholeFile:
    """A sinkhole report to read and the blocks to match it against (it pickles)."""

    path: Path
    networks: NetworkSet


@dataclass(frozen=True, slots=True)
class MatchedChunk:
    """One chunk of a sinkhole report reduced to its hits from the blocks (it pickles)."""

    number: int
    rows: int
    """Rows read, refused ones included."""
    skips: list[tuple[int, str]]
    """(line, reason) of the rows refused, in the order found."""
    hits: list[tuple[ReportHit, str]]
    """The hits from monitored blocks, each with its block."""
    position: int
    """Bytes of the file read so far."""


def _collect(skips: list[tuple[int, str]]) -> Callable[[int, str], None]:
    def note(line: int, reason: str) -> None:
        skips.append((line, reason))

    return note


def matched_chunks(job: SinkholeFile) -> Iterator[MatchedChunk]:
    """Read a sinkhole report chunk by chunk and keep the rows from the blocks."""
    with ReportReader(job.path) as reader:
        columns = sinkhole_columns(reader.header, job.path.name)
        for chunk in reader.chunks():
            skips: list[tuple[int, str]] = []
            report = FileReport(job.path.name, on_skip=_collect(skips))
            hits = _sinkhole_hits(job.networks, columns, chunk, report)
            yield MatchedChunk(chunk.number, report.rows, skips, hits, reader.position)


def _sinkhole_hits(
    networks: NetworkSet, columns: Columns, chunk: Chunk, report: FileReport
) -> list[tuple[ReportHit, str]]:
    """The chunk's rows from monitored blocks, as hits paired with their block."""
    _count_read(chunk, report)
    lines = chunk.lines
    address = columns.index["src_ip"]
    assert address is not None  # a required column
    addresses = chunk.column(address)
    found = networks.match(addresses)
    for position in found.invalid.tolist():
        value = addresses[position].strip()
        reason = (
            "src_ip is empty" if not value else f"src_ip {value[:_SAMPLE]!r} is not an IP address"
        )
        report.skip(lines[position], reason)
    matched = []
    for position, block in found.hits():
        try:
            matched.append((sinkhole_hit(columns, chunk.row(position), lines[position]), block))
        except InvalidValueError as exc:
            report.skip(lines[position], str(exc)[:200])
    return matched


def _accounts(
    domains: DomainSet, columns: Columns, chunk: Chunk, report: FileReport
) -> list[tuple[CompromisedAccount, str]]:
    """The chunk's accounts of monitored domains, paired with their domain."""
    _count_read(chunk, report)
    lines = chunk.lines
    email = columns.index["email"]
    assert email is not None  # a required column
    emails = [value.strip() for value in chunk.column(email)]
    found = domains.match(emails)
    for position in found.invalid.tolist():
        value = emails[position]
        reason = (
            "email is empty" if not value else f"email {value[:_SAMPLE]!r} is not an email address"
        )
        report.skip(lines[position], reason)
    matched = []
    for position, domain in found.hits():
        try:
            matched.append(
                (compromised_account(columns, chunk.row(position), lines[position]), domain)
            )
        except InvalidValueError as exc:
            report.skip(lines[position], str(exc)[:200])
    return matched


def _count_read(chunk: Chunk, report: FileReport) -> None:
    report.rows += len(chunk) + len(chunk.malformed)
    for line, reason in chunk.malformed:
        report.skip(line, reason)


def _sinkhole_batch(
    mapping: SinkholeMapping,
    hits: Sequence[tuple[ReportHit, str]],
    keys: Callable[[str], str],
    name: str,
    report: FileReport,
) -> IngestBatch:
    skipped: list[int] = []

    def skip(hit: object, why: str) -> None:
        skipped.append(1)
        report.skip(getattr(hit, "line", 0), why[:200])

    batch = sinkhole_events.batch_for_page(mapping, hits, keys, cursor=name, skip=skip)
    report.matched += len(hits) - len(skipped)
    _add_extras(batch, [(hit, host_key(hit.src_ip)) for hit, _ in hits if hit.extras])
    return batch


def _account_batch(
    mapping: CredentialMapping,
    accounts: Sequence[tuple[CompromisedAccount, str]],
    keys: Callable[[str], str],
    name: str,
    report: FileReport,
) -> IngestBatch:
    skipped: list[int] = []

    def skip(account: object, why: str) -> None:
        skipped.append(1)
        report.skip(getattr(account, "line", 0), why[:200])

    batch = credential_events.batch_for_page(mapping, accounts, keys, cursor=name, skip=skip)
    report.matched += len(accounts) - len(skipped)
    _add_extras(
        batch,
        [(a, _email_key(a.email)) for a, _ in accounts if a.extras],
    )
    return batch


def host_key(address: str) -> tuple[IndicatorType, str] | None:
    """The (type, value) a sinkhole monitor gives a hit's host, or None if it is not valid."""
    text = address.strip()
    if text.lower().startswith("::ffff:") and "." in text:
        text = text[7:]  # an IPv4-mapped address is stored as the IPv4 address it carries
    kind = IndicatorType.IPV6_ADDRESS if ":" in text else IndicatorType.IP_ADDRESS
    try:
        return kind, kind.normalise(text)
    except InvalidValueError:
        return None


def _email_key(email: str) -> tuple[IndicatorType, str] | None:
    try:
        return IndicatorType.EMAIL_ADDRESS, IndicatorType.EMAIL_ADDRESS.normalise(email)
    except InvalidValueError:
        return None


def _add_extras(
    batch: IngestBatch,
    owners: Sequence[tuple[ReportHit | CompromisedAccount, tuple[IndicatorType, str] | None]],
) -> None:
    """Attach each row's other columns to its host or email indicator in the batch."""
    if not owners:
        return
    wanted = {key for _, key in owners if key is not None}
    indicators: dict[tuple[IndicatorType, str], Indicator] = {
        (i.type, i.value): i for i in batch.indicators if (i.type, i.value) in wanted
    }
    known: dict[tuple[IndicatorType, str], set[tuple[str, str]]] = {}
    for record, key in owners:
        indicator = indicators.get(key) if key is not None else None
        if indicator is None or key is None:
            continue  # the row was left out as malformed
        seen = record.seen_at if isinstance(record, ReportHit) else record.captured_at
        if key not in known:
            known[key] = {(a.name, a.value) for a in indicator.attributes}
        for name, value in record.extras:
            if (name, value) not in known[key]:
                known[key].add((name, value))
                # Readers strip values, drop empty ones and give UTC times; names are fixed.
                indicator.attributes.append(Attribute.of_clean(name, value, seen))
