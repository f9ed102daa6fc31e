"""Blocklists never carry a whitelisted value; CSV and JSON exports cover a whole query."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from tipwire.errors import InvalidValueError
from tipwire.model import Indicator, IndicatorType, IngestBatch, Source, Status
from tipwire.model.whitelist import WhitelistRule
from tipwire.sharing import tabular
from tipwire.sharing.blocklist import blocklist_lines, blocklist_type
from tipwire.store import Store, whitelist
from tipwire.store.queries import IndicatorQuery

from .conftest import Populated


def add(store: Store, type_: IndicatorType, values: list[str], status: Status) -> None:
    batch = IngestBatch(Source("Feed Two"))
    batch.indicators = [Indicator(type_, value, status=status) for value in values]
    store.ingest(batch)


def blocklist(store: Store, type_: IndicatorType) -> list[str]:
    with store.read() as connection:
        return "".join(blocklist_lines(connection, type_)).splitlines()


def test_blocklist_has_active_values_only(populated: Populated) -> None:
    add(populated.store, IndicatorType.IP_ADDRESS, ["192.0.2.99"], Status.REVIEW)
    add(populated.store, IndicatorType.IP_ADDRESS, ["192.0.2.200"], Status.WHITELISTED)
    assert blocklist(populated.store, IndicatorType.IP_ADDRESS) == ["203.0.113.66"]


def test_blocklist_never_has_a_whitelisted_email(populated: Populated) -> None:
    assert blocklist(populated.store, IndicatorType.EMAIL_ADDRESS) == ["phisher@bad.example.net"]


def test_blocklist_drops_active_values_a_later_rule_whitelists(store: Store) -> None:
    add(
        store,
        IndicatorType.FQDN,
        ["a.example.org", "b.partner.example", "c.example.org"],
        Status.ACTIVE,
    )
    with store.write() as connection:
        whitelist.add_rule(connection, WhitelistRule.parse("FQDN", "*.partner.example"))
    assert blocklist(store, IndicatorType.FQDN) == ["a.example.org", "c.example.org"]


def test_blocklist_reads_past_one_chunk(store: Store) -> None:
    values = [f"10.0.{n // 250}.{n % 250 + 1}" for n in range(12_000)]
    add(store, IndicatorType.IP_ADDRESS, values, Status.ACTIVE)
    assert sorted(blocklist(store, IndicatorType.IP_ADDRESS)) == sorted(values)


def test_blocklist_refuses_types_without_one() -> None:
    with pytest.raises(InvalidValueError, match="User-agent"):
        blocklist_type("User-agent")
    assert blocklist_type("ip address") is IndicatorType.IP_ADDRESS


def test_csv_export_covers_every_page_and_defuses_formulas(store: Store) -> None:
    values = [f"host{n}.example.org" for n in range(1_500)]
    add(store, IndicatorType.FQDN, values, Status.ACTIVE)
    add(store, IndicatorType.STRING, ['=HYPERLINK("x")'], Status.REVIEW)
    with store.read() as connection:
        text = "".join(tabular.csv_lines(connection, IndicatorQuery(sort="id")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1_501
    assert {r["value"] for r in rows[:1_500]} == set(values)
    assert rows[-1]["value"] == '\'=HYPERLINK("x")'
    assert rows[0]["sources"] == "Feed Two"
    assert datetime.fromisoformat(rows[0]["first_seen"]).tzinfo is not None
    assert "T" in rows[0]["first_seen"] and "T" in rows[0]["updated_at"]  # ISO 8601


def test_json_export_is_one_array_of_the_query(populated: Populated) -> None:
    query = IndicatorQuery(type=IndicatorType.EMAIL_ADDRESS, status=Status.WHITELISTED)
    with populated.store.read() as connection:
        data = json.loads(b"".join(tabular.json_chunks(connection, query)))
    assert [(row["value"], row["status"]) for row in data] == [("ceo@example.com", "Whitelisted")]


def test_empty_exports_are_still_well_formed(store: Store) -> None:
    with store.read() as connection:
        assert json.loads(b"".join(tabular.json_chunks(connection, IndicatorQuery()))) == []
        assert "".join(tabular.csv_lines(connection, IndicatorQuery())).startswith("id,type,value")
