"""Ingest throughput: TipWire's bulk ingest against row-by-row ORM inserts, SQLite and PostgreSQL.

Builds one batch of N distinct indicators (IPv4, FQDN, URL) with one attribute each plus
relations, observed at one moment as a feed's batch is. It ingests the batch into an empty
database, then the same batch again (idempotent: nothing may change), then the batch as if
seen again an hour later (every indicator's and attribute's last_seen moves: the update
path). The baseline is the usual ORM way (look up, add, flush per row) on a sample, run on
the same machine in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tipwire.model import Attribute, Indicator, IndicatorType, IngestBatch, Relation, Source
from tipwire.store import Store, make_engine
from tipwire.store.keys import attribute_key, indicator_key
from tipwire.store.schema import IndicatorAttributeRow, IndicatorRow, SourceRow

FAMILIES = ["Emotet", "TrickBot", "Qakbot", "Dridex", "IcedID", "Ramnit", "Necurs", "Zeus"]
TLDS = ["com", "net", "org", "info", "biz", "ru", "cn", "io"]


def make_values(n: int, seed: int) -> list[tuple[IndicatorType, str]]:
    """N distinct indicator values: 40% IPv4, 30% FQDN, 30% URL."""
    rng = random.Random(seed)
    ips = rng.sample(range(0x01000000, 0xDF000000), int(n * 0.4))
    values: list[tuple[IndicatorType, str]] = [
        (IndicatorType.IP_ADDRESS, f"{i >> 24}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}")
        for i in ips
    ]
    rest = n - len(values)
    for k in range(rest):
        host = f"h{k:x}{rng.getrandbits(24):06x}.example-{k % 97}.{TLDS[k % len(TLDS)]}"
        if k % 2:
            values.append((IndicatorType.FQDN, host))
        else:
            values.append((IndicatorType.URL, f"http://{host}/gate{k % 13}.php?id={k}"))
    return values


def build_batch(values: list[tuple[IndicatorType, str]], relations: int, seed: int) -> IngestBatch:
    """One batch: every indicator with one attribute, plus random relations between them."""
    rng = random.Random(seed)
    batch = IngestBatch(Source("Bench"), observed_at=datetime(2026, 1, 1, tzinfo=UTC))
    for k, (type_, value) in enumerate(values):
        family = FAMILIES[k % len(FAMILIES)]
        batch.indicators.append(
            Indicator(type_, value, attributes=[Attribute("Malware Family", family)])
        )
    refs = [ind.ref for ind in batch.indicators]
    for _ in range(relations):
        a, b = rng.sample(refs, 2)
        batch.relations.append(Relation(a, b))
    return batch


def orm_baseline(engine: Engine, values: list[tuple[IndicatorType, str]]) -> float:
    """Row-by-row ORM ingest (look up, add, flush) of ``values``; returns indicators/s."""
    now = datetime.now(UTC)
    start = time.perf_counter()
    with Session(engine) as session, session.begin():
        source = SourceRow(name="Baseline", tlp="TLP:AMBER", created_at=now)
        session.add(source)
        session.flush()
        for k, (type_, value) in enumerate(values):
            key = indicator_key(type_.value, type_.normalise(value))
            row = session.execute(select(IndicatorRow).where(IndicatorRow.key_hash == key)).scalar()
            if row is None:
                row = IndicatorRow(
                    key_hash=key,
                    type=type_.value,
                    value=value,
                    status="Review",
                    status_manual=False,
                    first_seen=now,
                    last_seen=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
            family = FAMILIES[k % len(FAMILIES)]
            session.add(
                IndicatorAttributeRow(
                    indicator_id=row.id,
                    source_id=source.id,
                    key_hash=attribute_key("Malware Family", family),
                    name="Malware Family",
                    value=family,
                    first_seen=now,
                    last_seen=now,
                )
            )
            session.flush()
    return len(values) / (time.perf_counter() - start)


def measure(
    name: str, engine: Engine, batch: IngestBatch, sample: list[tuple[IndicatorType, str]]
) -> None:
    """Run the baseline and both ingest passes on one database and print the figures."""
    store = Store(engine)
    store.upgrade()
    assert batch.observed_at is not None
    baseline = orm_baseline(engine, sample)
    n = len(batch.indicators)
    passes = []
    for label in ("first pass", "second pass", "an hour on"):
        if label == "an hour on":
            batch = IngestBatch(
                batch.source,
                batch.events,
                batch.indicators,
                batch.relations,
                observed_at=batch.observed_at + timedelta(hours=1),
            )
        start = time.perf_counter()
        result = store.ingest(batch)
        elapsed = time.perf_counter() - start
        passes.append(n / elapsed)
        counts = result.as_dict()
        print(
            f"{name:10} {label:11} {n / elapsed:>10,.0f} indicators/s  ({elapsed:6.1f} s)"
            f"  indicators {counts['indicators']}"
            f"  relations created {counts['relations']['created']}"
        )
    print(
        f"{name:10} baseline    {baseline:>10,.0f} indicators/s"
        f"  (row-by-row ORM, {len(sample):,} sample)"
    )
    print(
        f"{name:10} ratio       first pass {passes[0] / baseline:,.0f}x baseline; "
        f"second/first {passes[1] / passes[0]:.2f}; an hour on/first {passes[2] / passes[0]:.2f}"
    )
    store.close()


def main() -> None:
    """Parse options and run the benchmark on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20_000, help="baseline sample size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TIPWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    values = make_values(args.indicators + args.sample, args.seed)
    sample, values = values[: args.sample], values[args.sample :]
    start = time.perf_counter()
    batch = build_batch(values, args.relations, args.seed)
    built = time.perf_counter() - start
    print(
        f"batch: {len(batch.indicators):,} indicators, {len(batch.relations):,} relations; "
        f"built and normalised in {built:.1f} s ({len(values) / built:,.0f}/s, not counted below)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), batch, sample)
    if args.skip_postgres:
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.postgres_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # report and carry on with what ran
        print(
            f"PostgreSQL   skipped: {exc.__class__.__name__}: {exc}".splitlines()[0],
            file=sys.stderr,
        )
        return
    try:
        engine = make_engine(args.postgres_url, connect_args={"options": f"-csearch_path={schema}"})
        measure("PostgreSQL", engine, batch, sample)
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
