"""Bulk, idempotent ingest of an IngestBatch in the caller's transaction.

The batch is staged into temporary tables in one bulk load each, then merged into the real
tables with a handful of set-based statements that join on the indicators' key digests.
Staged rows are never updated: on PostgreSQL, rewriting a million temporary rows costs more
than the merge itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

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
from tipwire.store.keys import attribute_key, indicator_key
from tipwire.store.results import Counts, IngestResult
from tipwire.store.sources import source_id
from tipwire.store.staging import StagingTable
from tipwire.store.types import db_time
from tipwire.store.whitelist import load_matcher

# Constants from the model, never user input; inlined so the bulk statements stay plain SQL.
_PROTECTED = ", ".join(f"'{status.value}'" for status in sorted(PROTECTED_STATUSES))
_STATUS_MAY_CHANGE = (
    "s.status_given AND NOT indicators.status_manual "
    f"AND indicators.status NOT IN ({_PROTECTED}) AND s.status <> indicators.status"
)

_UPDATE_INDICATORS = text(
    "UPDATE indicators SET "  # noqa: S608 - only model constants are interpolated
    "last_seen = CASE WHEN s.last_seen > indicators.last_seen "
    "THEN s.last_seen ELSE indicators.last_seen END, "
    "first_seen = CASE WHEN s.first_seen < indicators.first_seen "
    "THEN s.first_seen ELSE indicators.first_seen END, "
    f"status = CASE WHEN {_STATUS_MAY_CHANGE} THEN s.status ELSE indicators.status END, "
    "score = COALESCE(s.score, indicators.score), "
    "updated_at = :now "
    "FROM tw_stage_ind s WHERE s.key_hash = indicators.key_hash AND ("
    "s.last_seen > indicators.last_seen OR s.first_seen < indicators.first_seen "
    f"OR ({_STATUS_MAY_CHANGE}) "
    "OR (s.score IS NOT NULL AND (indicators.score IS NULL OR s.score <> indicators.score)) "
    "OR NOT EXISTS (SELECT 1 FROM indicator_sources x "
    "WHERE x.indicator_id = indicators.id AND x.source_id = :src))"
)
_INSERT_INDICATORS = text(
    "INSERT INTO indicators (key_hash, type, value, status, status_manual, score, "
    "first_seen, last_seen, created_at, updated_at) "
    "SELECT s.key_hash, s.type, s.value, s.status, false, s.score, s.first_seen, s.last_seen, "
    ":now, :now FROM tw_stage_ind s WHERE NOT EXISTS "
    "(SELECT 1 FROM indicators i WHERE i.key_hash = s.key_hash) ORDER BY s.key_hash "
    "ON CONFLICT (key_hash) DO NOTHING"
)
_RESOLVE_IDS = text(
    "INSERT INTO tw_ids (idx, id) SELECT s.idx, i.id "
    "FROM tw_stage_ind s JOIN indicators i ON i.key_hash = s.key_hash ORDER BY s.idx"
)
_LINK_SOURCES = text(
    "INSERT INTO indicator_sources (indicator_id, source_id, created_at) "
    "SELECT id, :src, :now FROM tw_ids WHERE true ON CONFLICT DO NOTHING"
)
_UPDATE_ATTRIBUTES = text(
    "UPDATE indicator_attributes SET "
    "last_seen = CASE WHEN a.last_seen > indicator_attributes.last_seen "
    "THEN a.last_seen ELSE indicator_attributes.last_seen END, "
    "first_seen = CASE WHEN a.first_seen < indicator_attributes.first_seen "
    "THEN a.first_seen ELSE indicator_attributes.first_seen END "
    "FROM tw_stage_attr a, tw_ids i "
    "WHERE i.idx = a.ind_idx AND indicator_attributes.indicator_id = i.id "
    "AND indicator_attributes.source_id = :src AND indicator_attributes.key_hash = a.key_hash "
    "AND (a.last_seen > indicator_attributes.last_seen "
    "OR a.first_seen < indicator_attributes.first_seen)"
)
_INSERT_ATTRIBUTES = text(
    "INSERT INTO indicator_attributes "
    "(indicator_id, source_id, key_hash, name, value, first_seen, last_seen) "
    "SELECT i.id, :src, a.key_hash, a.name, a.value, a.first_seen, a.last_seen "
    "FROM tw_stage_attr a JOIN tw_ids i ON i.idx = a.ind_idx "
    "WHERE true ORDER BY i.id, a.key_hash ON CONFLICT DO NOTHING"
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
    positions = {key: idx for idx, key in enumerate(indicators)}
    batch.validate(_RefKeys(positions))
    now = (now or datetime.now(UTC)).astimezone(UTC)
    observed = batch.observed_at or now
    times = _TimeFormatter(connection.dialect.name)
    params = {"now": times(now), "src": source_id(connection, batch.source)}
    result = IngestResult()
    event_ids, result.events = event_store.upsert_events(
        connection, batch.events, params["src"], now
    )
    stages: list[StagingTable] = []
    if indicators:
        whitelist = load_matcher(connection)
        stages.append(_stage_indicators(connection, indicators, whitelist, observed, times))
        result.indicators = _merge_indicators(connection, len(indicators), params)
        stages.append(_ids_table(connection))
        connection.execute(_LINK_SOURCES, params)
        all_new = result.indicators.created == len(indicators)
        result.attributes = _merge_attributes(
            connection, indicators, observed, times, params, all_new
        )
    result.relations = _insert_relations(connection, batch, positions, event_ids, now, params)
    for stage in stages:
        stage.drop()
    return result


class _RefKeys:
    """Answers "is this (type, value) in the batch?" through the key digests already computed."""

    def __init__(self, positions: dict[bytes, int]) -> None:
        self.positions = positions

    def __contains__(self, ref: object) -> bool:
        type_, value = cast(tuple[IndicatorType, str], ref)
        return indicator_key(type_.value, value) in self.positions


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
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _stage_indicators(
    connection: Connection,
    indicators: dict[bytes, Indicator],
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
        for idx, (key, ind) in enumerate(indicators.items()):
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


def _merge_indicators(connection: Connection, total: int, params: dict[str, Any]) -> Counts:
    # Update before insert, so the rows inserted now are not counted as updated too.
    updated = connection.execute(_UPDATE_INDICATORS, params).rowcount
    created = connection.execute(_INSERT_INDICATORS, params).rowcount
    return Counts(created=created, updated=updated, unchanged=total - created - updated)


def _ids_table(connection: Connection) -> StagingTable:
    """Map each staged position to its indicator id once, for every later join."""
    ids = StagingTable(connection, "tw_ids", [("idx", "pk"), ("id", "int")])
    connection.execute(_RESOLVE_IDS)
    ids.analyze()
    return ids


def _attribute_rows(
    indicators: dict[bytes, Indicator], observed: datetime, times: _TimeFormatter
) -> list[tuple[int, bytes, str, str, Any, Any]]:
    rows: list[tuple[int, bytes, str, str, Any, Any]] = []
    for idx, ind in enumerate(indicators.values()):
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
            key = attribute_key(attr.name, attr.value)
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
    observed: datetime,
    times: _TimeFormatter,
    params: dict[str, Any],
    all_new: bool,
) -> Counts:
    rows = _attribute_rows(indicators, observed, times)
    if not rows:
        return Counts()
    stage = StagingTable(
        connection,
        "tw_stage_attr",
        [
            ("ind_idx", "int"),
            ("key_hash", "bytes"),
            ("name", "text"),
            ("value", "text"),
            ("first_seen", "time"),
            ("last_seen", "time"),
        ],
    )
    stage.load(rows)
    stage.analyze()
    # Indicators created by this batch have no attributes yet: nothing to update.
    updated = 0 if all_new else connection.execute(_UPDATE_ATTRIBUTES, params).rowcount
    created = connection.execute(_INSERT_ATTRIBUTES, params).rowcount
    stage.drop()
    return Counts(created=created, updated=updated, unchanged=len(rows) - created - updated)


def _insert_relations(
    connection: Connection,
    batch: IngestBatch,
    positions: dict[bytes, int],
    event_ids: dict[str, int],
    now: datetime,
    params: dict[str, Any],
) -> Counts:
    def position(ref: IndicatorRef) -> int:
        return positions[indicator_key(ref.type.value, ref.value)]

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
