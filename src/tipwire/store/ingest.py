"""Bulk, idempotent ingest of an IngestBatch in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from tipwire.model import (
    DEFAULT_STATUS,
    PROTECTED_STATUSES,
    EventRef,
    Indicator,
    IndicatorRef,
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
_STATUS_MAY_CHANGE = f"s.status_given AND NOT indicators.status_manual AND indicators.status NOT IN ({_PROTECTED})"

_RELATE_INDICATORS = 1
_RELATE_EVENT_INDICATOR = 2


def ingest(connection: Connection, batch: IngestBatch, now: datetime | None = None) -> IngestResult:
    """Write ``batch`` in the caller's transaction; the same batch twice changes only last_seen."""
    batch.validate()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    observed = batch.observed_at or now
    result = IngestResult()
    src = source_id(connection, batch.source)
    event_ids, result.events = event_store.upsert_events(connection, batch.events, src, now)
    indicators = _merge_duplicates(batch.indicators)
    positions = {(ind.type, ind.value): pos for pos, ind in enumerate(indicators)}
    dialect = connection.dialect.name
    if indicators:
        stage = _stage_indicators(connection, indicators, load_matcher(connection), observed)
        result.indicators = _upsert_indicators(connection, stage, src, now, dialect)
        result.attributes = _upsert_attributes(connection, indicators, src, observed, dialect)
    result.relations = _insert_relations(connection, batch, positions, event_ids, now, dialect)
    if indicators:
        connection.exec_driver_sql("DROP TABLE IF EXISTS tw_stage_ind")
    return result


def _merge_duplicates(indicators: list[Indicator]) -> list[Indicator]:
    """Fold repeated (type, value) pairs into one indicator so each row is written once."""
    merged: dict[tuple[str, str], Indicator] = {}
    for ind in indicators:
        key = (ind.type, ind.value)
        first = merged.get(key)
        if first is None:
            merged[key] = ind
            continue
        merged[key] = Indicator(
            ind.type,
            ind.value,
            status=ind.status or first.status,
            score=ind.score if ind.score is not None else first.score,
            attributes=[*first.attributes, *ind.attributes],
            first_seen=_earliest(first.first_seen, ind.first_seen),
            last_seen=_latest(first.last_seen, ind.last_seen),
        )
    return list(merged.values())


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _stage_indicators(
    connection: Connection, indicators: list[Indicator], whitelist: WhitelistMatcher, observed: datetime
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
            ("ind_id", "int"),
            ("existed", "bool"),
            ("new_source", "bool"),
        ],
    )
    dialect = connection.dialect.name
    default_time = db_time(observed, dialect)
    default_status = DEFAULT_STATUS.value

    def rows() -> Iterator[tuple[Any, ...]]:
        for idx, ind in enumerate(indicators):
            status = ind.status
            if whitelist and whitelist.matches(ind.type, ind.value):
                status = Status.WHITELISTED
            last = ind.last_seen or ind.first_seen
            first = ind.first_seen or last
            yield (
                idx,
                indicator_key(ind.type.value, ind.value),
                ind.type.value,
                ind.value,
                status.value if status is not None else default_status,
                status is not None,
                ind.score,
                db_time(first, dialect) if first else default_time,
                db_time(last, dialect) if last else default_time,
                None,
                False,
                False,
            )

    stage.load(rows())
    stage.index("key_hash")
    return stage


def _upsert_indicators(
    connection: Connection, stage: StagingTable, src: int, now: datetime, dialect: str
) -> Counts:
    params = {"now": db_time(now, dialect), "src": src}
    run = connection.execute
    run(
        text(
            "UPDATE tw_stage_ind SET ind_id = indicators.id, existed = true "
            "FROM indicators WHERE indicators.key_hash = tw_stage_ind.key_hash"
        )
    )
    run(
        text(
            "UPDATE tw_stage_ind SET new_source = true WHERE existed AND NOT EXISTS ("
            "SELECT 1 FROM indicator_sources x WHERE x.indicator_id = tw_stage_ind.ind_id "
            "AND x.source_id = :src)"
        ),
        params,
    )
    created = run(
        text(
            "INSERT INTO indicators (key_hash, type, value, status, status_manual, score, "
            "first_seen, last_seen, created_at, updated_at) "
            "SELECT key_hash, type, value, status, false, score, first_seen, last_seen, :now, :now "
            "FROM tw_stage_ind WHERE ind_id IS NULL ORDER BY idx "
            "ON CONFLICT (key_hash) DO NOTHING"
        ),
        params,
    ).rowcount
    # A row another writer inserted since our lookup is picked up here and treated as new.
    run(
        text(
            "UPDATE tw_stage_ind SET ind_id = indicators.id FROM indicators "
            "WHERE tw_stage_ind.ind_id IS NULL AND indicators.key_hash = tw_stage_ind.key_hash"
        )
    )
    updated = run(
        text(
            "UPDATE indicators SET "
            "last_seen = CASE WHEN s.last_seen > indicators.last_seen "
            "THEN s.last_seen ELSE indicators.last_seen END, "
            "first_seen = CASE WHEN s.first_seen < indicators.first_seen "
            "THEN s.first_seen ELSE indicators.first_seen END, "
            f"status = CASE WHEN {_STATUS_MAY_CHANGE} THEN s.status ELSE indicators.status END, "
            "score = COALESCE(s.score, indicators.score), "
            "updated_at = :now "
            "FROM tw_stage_ind s WHERE s.existed AND s.ind_id = indicators.id AND ("
            "s.last_seen > indicators.last_seen OR s.first_seen < indicators.first_seen "
            f"OR ({_STATUS_MAY_CHANGE} AND s.status <> indicators.status) "
            "OR (s.score IS NOT NULL AND (indicators.score IS NULL OR s.score <> indicators.score)) "
            "OR s.new_source)"
        ),
        params,
    ).rowcount
    run(
        text(
            "INSERT INTO indicator_sources (indicator_id, source_id, created_at) "
            "SELECT ind_id, :src, :now FROM tw_stage_ind WHERE existed = false OR new_source "
            "ON CONFLICT DO NOTHING"
        ),
        params,
    )
    total = run(text("SELECT count(*) FROM tw_stage_ind")).scalar_one()
    return Counts(created=created, updated=updated, unchanged=total - created - updated)


def _upsert_attributes(
    connection: Connection,
    indicators: list[Indicator],
    src: int,
    observed: datetime,
    dialect: str,
) -> Counts:
    merged: dict[tuple[int, bytes], list[Any]] = {}
    for idx, ind in enumerate(indicators):
        if not ind.attributes:
            continue
        fallback = ind.last_seen or ind.first_seen or observed
        for attr in ind.attributes:
            seen = attr.seen_at or fallback
            key = (idx, attribute_key(attr.name, attr.value))
            row = merged.get(key)
            if row is None:
                merged[key] = [idx, key[1], attr.name, attr.value, seen, seen]
            else:
                row[4] = min(row[4], seen)
                row[5] = max(row[5], seen)
    if not merged:
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
            ("attr_id", "int"),
        ],
    )
    stage.load(
        (idx, key, name, value, db_time(first, dialect), db_time(last, dialect), None)
        for idx, key, name, value, first, last in merged.values()
    )
    stage.index("ind_idx")
    params = {"src": src}
    run = connection.execute
    run(
        text(
            "UPDATE tw_stage_attr SET attr_id = ia.id "
            "FROM tw_stage_ind s, indicator_attributes ia "
            "WHERE s.idx = tw_stage_attr.ind_idx AND s.existed AND ia.indicator_id = s.ind_id "
            "AND ia.source_id = :src AND ia.key_hash = tw_stage_attr.key_hash"
        ),
        params,
    )
    created = run(
        text(
            "INSERT INTO indicator_attributes "
            "(indicator_id, source_id, key_hash, name, value, first_seen, last_seen) "
            "SELECT s.ind_id, :src, a.key_hash, a.name, a.value, a.first_seen, a.last_seen "
            "FROM tw_stage_attr a JOIN tw_stage_ind s ON s.idx = a.ind_idx "
            "WHERE a.attr_id IS NULL ORDER BY a.ind_idx "
            "ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    updated = run(
        text(
            "UPDATE indicator_attributes SET "
            "last_seen = CASE WHEN a.last_seen > indicator_attributes.last_seen "
            "THEN a.last_seen ELSE indicator_attributes.last_seen END, "
            "first_seen = CASE WHEN a.first_seen < indicator_attributes.first_seen "
            "THEN a.first_seen ELSE indicator_attributes.first_seen END "
            "FROM tw_stage_attr a WHERE a.attr_id = indicator_attributes.id AND ("
            "a.last_seen > indicator_attributes.last_seen "
            "OR a.first_seen < indicator_attributes.first_seen)"
        )
    ).rowcount
    stage.drop()
    return Counts(created=created, updated=updated, unchanged=len(merged) - created - updated)


def _insert_relations(
    connection: Connection,
    batch: IngestBatch,
    positions: dict[tuple[Any, str], int],
    event_ids: dict[str, int],
    now: datetime,
    dialect: str,
) -> Counts:
    pairs: set[tuple[int, int, int]] = set()
    event_pairs: set[tuple[int, int]] = set()
    for relation in batch.relations:
        a, b = relation.a, relation.b
        if isinstance(a, EventRef) and isinstance(b, EventRef):
            x, y = event_ids[a.key], event_ids[b.key]
            if x != y:
                event_pairs.add((min(x, y), max(x, y)))
        elif isinstance(a, IndicatorRef) and isinstance(b, IndicatorRef):
            x, y = positions[(a.type, a.value)], positions[(b.type, b.value)]
            if x != y:
                pairs.add((_RELATE_INDICATORS, min(x, y), max(x, y)))
        else:
            event, indicator = (a, b) if isinstance(a, EventRef) else (b, a)
            assert isinstance(event, EventRef) and isinstance(indicator, IndicatorRef)
            position = positions[(indicator.type, indicator.value)]
            pairs.add((_RELATE_EVENT_INDICATOR, event_ids[event.key], position))
    created = event_store.relate_events(connection, event_pairs, now)
    if pairs:
        created += _insert_staged_relations(connection, pairs, now, dialect)
    total = len(pairs) + len(event_pairs)
    return Counts(created=created, unchanged=total - created)


def _insert_staged_relations(
    connection: Connection, pairs: set[tuple[int, int, int]], now: datetime, dialect: str
) -> int:
    stage = StagingTable(connection, "tw_stage_rel", [("kind", "int"), ("a", "int"), ("b", "int")])
    stage.load(pairs)
    params = {"now": db_time(now, dialect)}
    run = connection.execute
    created = run(
        text(
            "INSERT INTO indicator_relations (a_id, b_id, created_at) "
            "SELECT CASE WHEN sa.ind_id < sb.ind_id THEN sa.ind_id ELSE sb.ind_id END, "
            "CASE WHEN sa.ind_id < sb.ind_id THEN sb.ind_id ELSE sa.ind_id END, :now "
            "FROM tw_stage_rel r JOIN tw_stage_ind sa ON sa.idx = r.a "
            "JOIN tw_stage_ind sb ON sb.idx = r.b "
            f"WHERE r.kind = {_RELATE_INDICATORS} ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    created += run(
        text(
            "INSERT INTO event_indicators (event_id, indicator_id, created_at) "
            "SELECT r.a, s.ind_id, :now FROM tw_stage_rel r JOIN tw_stage_ind s ON s.idx = r.b "
            f"WHERE r.kind = {_RELATE_EVENT_INDICATOR} ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount
    stage.drop()
    return int(created)

