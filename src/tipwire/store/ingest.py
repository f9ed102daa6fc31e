"""Bulk, idempotent ingest of an IngestBatch in the caller's transaction.

The batch is staged into temporary tables in one bulk load each, then merged into the real
tables with a handful of set-based statements that join on the indicators' key digests.
Staged rows are never updated: on PostgreSQL, rewriting a million temporary rows costs more
than the merge itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, text

from tipwire.model import (
    DEFAULT_STATUS,
    PROTECTED_STATUSES,
    EventRef,
    Indicator,
    IndicatorRef,
    IndicatorType,
    IngestBatch,
    Status,
)
from tipwire.model.whitelist import WhitelistMatcher
from tipwire.store import events as event_store
from tipwire.store import summaries
from tipwire.store.keys import attribute_key, indicator_key
from tipwire.store.results import Counts, IngestResult
from tipwire.store.sources import source_id
from tipwire.store.staging import StagingTable
from tipwire.store.types import db_time
from tipwire.store.whitelist import load_matcher

# Constants from the model, never user input; inlined so the bulk statements stay plain SQL.
_PROTECTED = ", ".join(f"'{status.value}'" for status in sorted(PROTECTED_STATUSES))
_STATUS_MAY_CHANGE = (
    "s.status_given AND NOT i.status_manual "
    f"AND i.status NOT IN ({_PROTECTED}) AND s.status <> i.status"
)
# tw_ids.state: 0 = existed and unchanged, 1 = existed and changes, 2 = created by this batch.
_MATCH_EXISTING = text(
    "INSERT INTO tw_ids (idx, id, first_seen, last_seen, status, score, state) "  # noqa: S608
    "SELECT s.idx, i.id, "
    "CASE WHEN s.first_seen < i.first_seen THEN s.first_seen ELSE i.first_seen END, "
    "CASE WHEN s.last_seen > i.last_seen THEN s.last_seen ELSE i.last_seen END, "
    f"CASE WHEN {_STATUS_MAY_CHANGE} THEN s.status ELSE i.status END, "
    "COALESCE(s.score, i.score), "
    "CASE WHEN s.last_seen > i.last_seen OR s.first_seen < i.first_seen "
    f"OR ({_STATUS_MAY_CHANGE}) "
    "OR (s.score IS NOT NULL AND (i.score IS NULL OR s.score <> i.score)) "
    "OR NOT EXISTS (SELECT 1 FROM indicator_sources x WHERE x.indicator_id = i.id "
    "AND x.source_id = :src) THEN 1 ELSE 0 END "
    "FROM tw_stage_ind s JOIN indicators i ON i.key_hash = s.key_hash"
)
_APPLY_CHANGES = text(
    "UPDATE indicators SET first_seen = c.first_seen, last_seen = c.last_seen, "
    "status = c.status, score = c.score, updated_at = :now "
    "FROM tw_ids c WHERE c.state = 1 AND c.id = indicators.id"
)
_INSERT_INDICATORS = text(
    "INSERT INTO indicators (key_hash, type, value, status, status_manual, score, "
    "first_seen, last_seen, created_at, updated_at) "
    "SELECT s.key_hash, s.type, s.value, s.status, false, s.score, s.first_seen, s.last_seen, "
    ":now, :now FROM tw_stage_ind s WHERE NOT EXISTS "
    "(SELECT 1 FROM tw_ids c WHERE c.idx = s.idx) ORDER BY s.key_hash "
    "ON CONFLICT (key_hash) DO NOTHING"
)
# Also picks up a row another writer inserted since the match above (PostgreSQL).
_RESOLVE_NEW = text(
    "INSERT INTO tw_ids (idx, id, state) SELECT s.idx, i.id, 2 "
    "FROM tw_stage_ind s JOIN indicators i ON i.key_hash = s.key_hash "
    "WHERE NOT EXISTS (SELECT 1 FROM tw_ids c WHERE c.idx = s.idx)"
)
_LINK_SOURCES = text(
    "INSERT INTO indicator_sources (indicator_id, source_id, created_at) "
    "SELECT id, :src, :now FROM tw_ids WHERE state > 0 ON CONFLICT DO NOTHING"
)
# Replacing (not adding) makes the same batch twice count once; batches are named by cursor.
_UPSERT_COUNTERS = text(
    "INSERT INTO indicator_counters (indicator_id, source_id, part, name, value) "
    "SELECT i.id, :src, :part, c.name, c.value FROM tw_stage_cnt c "
    "JOIN tw_ids i ON i.idx = c.ind_idx WHERE true "
    "ON CONFLICT (indicator_id, source_id, part, name) DO UPDATE SET value = excluded.value"
)
_MATCH_ATTRIBUTES = text(
    "INSERT INTO tw_attr_ids (n, id, first_seen, last_seen, state) "
    "SELECT a.n, x.id, "
    "CASE WHEN a.first_seen < x.first_seen THEN a.first_seen ELSE x.first_seen END, "
    "CASE WHEN a.last_seen > x.last_seen THEN a.last_seen ELSE x.last_seen END, "
    "CASE WHEN a.last_seen > x.last_seen OR a.first_seen < x.first_seen THEN 1 ELSE 0 END "
    "FROM tw_stage_attr a JOIN tw_ids i ON i.idx = a.ind_idx "
    "JOIN indicator_attributes x ON x.indicator_id = i.id AND x.source_id = :src "
    "AND x.key_hash = a.key_hash WHERE i.state < 2"
)
_APPLY_ATTRIBUTES = text(
    "UPDATE indicator_attributes SET first_seen = c.first_seen, last_seen = c.last_seen "
    "FROM tw_attr_ids c WHERE c.state = 1 AND c.id = indicator_attributes.id"
)
_INSERT_ATTRIBUTES = text(
    "INSERT INTO indicator_attributes "
    "(indicator_id, source_id, key_hash, name, value, first_seen, last_seen) "
    "SELECT i.id, :src, a.key_hash, a.name, a.value, a.first_seen, a.last_seen "
    "FROM tw_stage_attr a JOIN tw_ids i ON i.idx = a.ind_idx "
    "WHERE NOT EXISTS (SELECT 1 FROM tw_attr_ids c WHERE c.n = a.n) "
    "ORDER BY i.id, a.key_hash ON CONFLICT DO NOTHING"
)
_RELATE_INDICATORS = text(
    "INSERT INTO indicator_relations (a_id, b_id, created_at) "
    "SELECT CASE WHEN ia.id < ib.id THEN ia.id ELSE ib.id END, "
    "CASE WHEN ia.id < ib.id THEN ib.id ELSE ia.id END, :now "
    "FROM tw_stage_rel r JOIN tw_ids ia ON ia.idx = r.a JOIN tw_ids ib ON ib.idx = r.b "
    "WHERE r.event_id IS NULL ON CONFLICT DO NOTHING"
)
_RELATE_EVENT_INDICATORS = text(
    "INSERT INTO event_indicators (event_id, indicator_id, created_at) "
    "SELECT r.event_id, i.id, :now FROM tw_stage_rel r JOIN tw_ids i ON i.idx = r.b "
    "WHERE r.event_id IS NOT NULL ON CONFLICT DO NOTHING"
)


def ingest(connection: Connection, batch: IngestBatch, now: datetime | None = None) -> IngestResult:
    """Write ``batch`` in the caller's transaction; the same batch twice changes only last_seen."""
    indicators = _merge_duplicates(batch.indicators)
    refs = _RefKeys({key: idx for idx, key in enumerate(indicators)})
    batch.validate(refs)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    observed = batch.observed_at or now
    times = _TimeFormatter(connection.dialect.name)
    part = _batch_part(batch, observed)
    params = {"now": times(now), "src": source_id(connection, batch.source), "part": part}
    result = IngestResult()
    event_ids, result.events = event_store.upsert_events(
        connection, batch.events, params["src"], now, part
    )
    stages: list[StagingTable] = []
    if indicators:
        whitelist = load_matcher(connection)
        order = _key_order(indicators)
        stages.append(_stage_indicators(connection, indicators, order, whitelist, observed, times))
        ids = _ids_table(connection)
        stages.append(ids)
        result.indicators = _merge_indicators(connection, ids, len(indicators), params)
        connection.execute(_LINK_SOURCES, params)
        _store_counters(connection, indicators, params)
        all_new = result.indicators.created == len(indicators)
        result.attributes = _merge_attributes(
            connection, indicators, order, observed, times, params, all_new
        )
    result.relations = _insert_relations(connection, batch, refs, event_ids, now, params)
    summaries.render_summaries(connection, event_ids.values())
    for stage in stages:
        stage.drop()
    return result


def _batch_part(batch: IngestBatch, observed: datetime) -> str:
    """Names a batch for its counter contributions: its cursor, or a digest of its content."""
    if batch.cursor is not None:
        return batch.cursor[:64]
    if not any(event.counters for event in batch.events) and not any(
        indicator.counters for indicator in batch.indicators
    ):
        return ""  # no counters to key
    digest = blake2b(observed.isoformat().encode(), digest_size=16)
    for event in batch.events:
        digest.update(f"{event.key}\x1f{sorted(event.counters.items())}".encode())
    for indicator in batch.indicators:
        digest.update(f"{indicator.type}\x1f{indicator.value}".encode())
    return "batch:" + digest.hexdigest()


class _RefKeys:
    """Finds a batch position for an indicator reference, computing each digest once."""

    def __init__(self, positions: dict[bytes, int]) -> None:
        self.positions = positions
        self.cache: dict[tuple[IndicatorType, str], int | None] = {}

    def position(self, type_: IndicatorType, value: str) -> int | None:
        """The batch position of (type, value), or None when the batch lacks it."""
        ref = (type_, value)
        if ref not in self.cache:
            self.cache[ref] = self.positions.get(indicator_key(type_.value, value))
        return self.cache[ref]

    def __contains__(self, ref: object) -> bool:
        type_, value = cast(tuple[IndicatorType, str], ref)
        return self.position(type_, value) is not None


class _TimeFormatter:
    """Renders datetimes for the bulk paths once each: a batch repeats the same few times."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.cache: dict[datetime, Any] = {}

    def __call__(self, moment: datetime) -> Any:
        rendered = self.cache.get(moment)
        if rendered is None:
            rendered = self.cache[moment] = db_time(moment, self.dialect)
        return rendered


def _merge_duplicates(indicators: list[Indicator]) -> dict[bytes, Indicator]:
    """Key indicators by digest, folding repeated (type, value) pairs into one."""
    keys = [indicator_key(ind.type.value, ind.value) for ind in indicators]
    merged = dict(zip(keys, indicators, strict=True))
    if len(merged) == len(indicators):
        return merged
    merged = {}
    for key, ind in zip(keys, indicators, strict=True):
        first = merged.get(key)
        merged[key] = ind if first is None else _merge_two(first, ind)
    return merged


def _merge_two(first: Indicator, then: Indicator) -> Indicator:
    return Indicator(
        then.type,
        then.value,
        status=then.status or first.status,
        score=then.score if then.score is not None else first.score,
        attributes=[*first.attributes, *then.attributes],
        first_seen=_earliest(first.first_seen, then.first_seen),
        last_seen=_latest(first.last_seen, then.last_seen),
        counters={
            name: first.counters.get(name, 0) + then.counters.get(name, 0)
            for name in first.counters | then.counters
        },
    )


def _key_order(indicators: dict[bytes, Indicator]) -> list[int]:
    """Batch positions in key order, so SQLite probes its key index page by page."""
    keys = np.frombuffer(b"".join(indicators), dtype="S16")
    order: list[int] = np.argsort(keys, kind="stable").tolist()
    return order


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _stage_indicators(
    connection: Connection,
    indicators: dict[bytes, Indicator],
    order: list[int],
    whitelist: WhitelistMatcher,
    observed: datetime,
    times: _TimeFormatter,
) -> StagingTable:
    stage = StagingTable(
        connection,
        "tw_stage_ind",
        [
            ("idx", "int"),
            ("key_hash", "bytes"),
            ("type", "text"),
            ("value", "text"),
            ("status", "text"),
            ("status_given", "bool"),
            ("score", "int"),
            ("first_seen", "time"),
            ("last_seen", "time"),
        ],
    )
    default_time = times(observed)
    default_status = DEFAULT_STATUS.value
    names = {member: member.value for member in (*IndicatorType, *Status)}

    def rows() -> Iterator[tuple[Any, ...]]:
        keys = list(indicators)
        values = list(indicators.values())
        for idx in order:
            key, ind = keys[idx], values[idx]
            status = ind.status
            if whitelist and whitelist.matches(ind.type, ind.value):
                status = Status.WHITELISTED
            last = ind.last_seen or ind.first_seen
            first = ind.first_seen or last
            yield (
                idx,
                key,
                names[ind.type],
                ind.value,
                names[status] if status is not None else default_status,
                status is not None,
                ind.score,
                times(first) if first else default_time,
                times(last) if last else default_time,
            )

    stage.load(rows())
    stage.analyze()
    return stage


def _merge_indicators(
    connection: Connection, ids: StagingTable, total: int, params: dict[str, Any]
) -> Counts:
    # Changes are worked out by one join into tw_ids, then applied by primary key: an
    # UPDATE ... FROM over the whole stage costs SQLite a full scan even when nothing changes.
    matched = connection.execute(_MATCH_EXISTING, params).rowcount
    ids.analyze()
    updated = connection.execute(_APPLY_CHANGES, params).rowcount
    created = connection.execute(_INSERT_INDICATORS, params).rowcount if matched < total else 0
    if matched < total:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # Estimates for tables filled moments ago in this transaction are stale, and a
            # nested-loop anti-join over them turns a million new keys into hours of work.
            connection.exec_driver_sql("SET LOCAL enable_nestloop = off")
        connection.execute(_RESOLVE_NEW, params)
        if postgres:
            connection.exec_driver_sql("SET LOCAL enable_nestloop = on")
        ids.analyze()
    return Counts(created=created, updated=updated, unchanged=total - created - updated)


def _store_counters(
    connection: Connection, indicators: dict[bytes, Indicator], params: dict[str, Any]
) -> None:
    rows = [
        (idx, name, amount)
        for idx, indicator in enumerate(indicators.values())
        for name, amount in indicator.counters.items()
    ]
    if not rows:
        return
    stage = StagingTable(
        connection, "tw_stage_cnt", [("ind_idx", "int"), ("name", "text"), ("value", "int")]
    )
    stage.load(rows)
    stage.analyze()
    connection.execute(_UPSERT_COUNTERS, params)
    stage.drop()


def _ids_table(connection: Connection) -> StagingTable:
    """A table mapping each staged position to its indicator id and pending change."""
    return StagingTable(
        connection,
        "tw_ids",
        [
            ("idx", "pk"),
            ("id", "int"),
            ("first_seen", "time"),
            ("last_seen", "time"),
            ("status", "text"),
            ("score", "int"),
            ("state", "int"),
        ],
    )


def _attribute_rows(
    indicators: dict[bytes, Indicator],
    order: list[int],
    observed: datetime,
    times: _TimeFormatter,
) -> list[tuple[int, bytes, str, str, Any, Any]]:
    rows: list[tuple[int, bytes, str, str, Any, Any]] = []
    values = list(indicators.values())
    digests: dict[tuple[str, str], bytes] = {}  # names and values repeat across indicators

    def digest(name: str, value: str) -> bytes:
        found = digests.get((name, value))
        if found is None:
            found = digests[(name, value)] = attribute_key(name, value)
        return found

    for idx in order:
        ind = values[idx]
        attributes = ind.attributes
        if not attributes:
            continue
        fallback = ind.last_seen or ind.first_seen or observed
        if len(attributes) == 1:  # the common case needs no de-duplication
            attr = attributes[0]
            seen = times(attr.seen_at or fallback)
            rows.append(
                (idx, attribute_key(attr.name, attr.value), attr.name, attr.value, seen, seen)
            )
            continue
        merged: dict[bytes, list[Any]] = {}
        for attr in attributes:
            seen = attr.seen_at or fallback
            key = digest(attr.name, attr.value)
            row = merged.get(key)
            if row is None:
                merged[key] = [attr.name, attr.value, seen, seen]
            else:
                row[2] = min(row[2], seen)
                row[3] = max(row[3], seen)
        rows.extend(
            (idx, key, name, value, times(first), times(last))
            for key, (name, value, first, last) in merged.items()
        )
    return rows


def _merge_attributes(
    connection: Connection,
    indicators: dict[bytes, Indicator],
    order: list[int],
    observed: datetime,
    times: _TimeFormatter,
    params: dict[str, Any],
    all_new: bool,
) -> Counts:
    rows = _attribute_rows(indicators, order, observed, times)
    if not rows:
        return Counts()
    stage = StagingTable(
        connection,
        "tw_stage_attr",
        [
            ("n", "pk"),
            ("ind_idx", "int"),
            ("key_hash", "bytes"),
            ("name", "text"),
            ("value", "text"),
            ("first_seen", "time"),
            ("last_seen", "time"),
        ],
    )
    stage.load((n, *row) for n, row in enumerate(rows))
    stage.analyze()
    matches = StagingTable(
        connection,
        "tw_attr_ids",
        [
            ("n", "pk"),
            ("id", "int"),
            ("first_seen", "time"),
            ("last_seen", "time"),
            ("state", "int"),
        ],
    )
    updated = 0
    if not all_new:  # attributes can only exist on indicators that existed before
        connection.execute(_MATCH_ATTRIBUTES, params)
        matches.analyze()
        updated = connection.execute(_APPLY_ATTRIBUTES, params).rowcount
    created = connection.execute(_INSERT_ATTRIBUTES, params).rowcount
    matches.drop()
    stage.drop()
    return Counts(created=created, updated=updated, unchanged=len(rows) - created - updated)


def _insert_relations(
    connection: Connection,
    batch: IngestBatch,
    refs: _RefKeys,
    event_ids: dict[str, int],
    now: datetime,
    params: dict[str, Any],
) -> Counts:
    def position(ref: IndicatorRef) -> int:
        found = refs.position(ref.type, ref.value)
        assert found is not None  # validate() refused batches with dangling relations
        return found

    staged: set[tuple[int | None, int, int]] = set()
    event_pairs: set[tuple[int, int]] = set()
    for relation in batch.relations:
        a, b = relation.a, relation.b
        if isinstance(a, EventRef) and isinstance(b, EventRef):
            x, y = event_ids[a.key], event_ids[b.key]
            if x != y:
                event_pairs.add((min(x, y), max(x, y)))
        elif isinstance(a, IndicatorRef) and isinstance(b, IndicatorRef):
            x, y = position(a), position(b)
            if x != y:
                staged.add((None, min(x, y), max(x, y)))
        else:
            event, indicator = (a, b) if isinstance(a, EventRef) else (b, a)
            assert isinstance(event, EventRef)
            assert isinstance(indicator, IndicatorRef)
            staged.add((event_ids[event.key], 0, position(indicator)))
    created = event_store.relate_events(connection, event_pairs, now)
    if staged:
        stage = StagingTable(
            connection, "tw_stage_rel", [("event_id", "int"), ("a", "int"), ("b", "int")]
        )
        stage.load(staged)
        stage.analyze()
        created += connection.execute(_RELATE_INDICATORS, params).rowcount
        created += connection.execute(_RELATE_EVENT_INDICATORS, params).rowcount
        stage.drop()
    total = len(staged) + len(event_pairs)
    return Counts(created=created, unchanged=total - created)
