"""STIX bundles built from a real store pass the OASIS validator and carry what they should."""

from __future__ import annotations

import json
from typing import Any

import stix2
from stix2validator import ValidationOptions, validate_string

from tipwire.model import Status
from tipwire.sharing.stix import StixSelection, build_bundle

from .conftest import INFECTED_HOST, WHITELISTED_EMAIL, Populated


def bundle_of(populated: Populated, selection: StixSelection) -> tuple[str, dict[str, Any]]:
    with populated.store.read() as connection:
        export = build_bundle(connection, selection)
    text = export.serialize()
    return text, json.loads(text)


def errors_of(text: str) -> list[str]:
    result = validate_string(text, ValidationOptions(version="2.1"))
    return [str(error) for error in result.errors]


def by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == kind]


def test_full_export_passes_the_validator_with_no_errors(populated: Populated) -> None:
    text, bundle = bundle_of(populated, StixSelection())
    assert errors_of(text) == []
    patterns = {o["pattern"] for o in by_type(bundle, "indicator")}
    assert "[ipv4-addr:value = '203.0.113.66']" in patterns
    assert "[ipv6-addr:value = '2001:db8::66']" in patterns
    assert "[ipv4-addr:value = '198.51.100.0/24']" in patterns
    assert "[domain-name:value = 'bad.example.net']" in patterns
    assert "[url:value = 'http://bad.example.net/gate.php?id=\\'1\\'']" in patterns
    assert "[email-addr:value = 'phisher@bad.example.net']" in patterns
    assert (
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
        "'Mozilla/4.0 (compatible; Zeus\\\\bot)']" in patterns
    )
    assert "[user-account:account_login = 'jdoe']" in patterns
    assert "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']" in patterns
    assert "[file:name = 'invoice.pdf.exe']" in patterns
    assert "[autonomous-system:number = 64500]" in patterns
    assert f"[ipv4-addr:value = '{INFECTED_HOST}']" in patterns


def test_whitelisted_and_patternless_indicators_are_left_out_by_default(
    populated: Populated,
) -> None:
    with populated.store.read() as connection:
        export = build_bundle(connection, StixSelection())
    text = export.serialize()
    assert WHITELISTED_EMAIL not in text
    assert "free text clue" not in text
    assert any("String 'free text clue'" in reason for reason in export.skipped)


def test_active_export_holds_only_active_indicators(populated: Populated) -> None:
    text, bundle = bundle_of(populated, StixSelection(status=Status.ACTIVE))
    assert errors_of(text) == []
    labels = {label for o in by_type(bundle, "indicator") for label in o["labels"]}
    assert labels == {"status:active"}
    assert "jdoe" not in text  # Review
    assert INFECTED_HOST not in text  # Review
    assert WHITELISTED_EMAIL not in text


def test_whitelisted_leave_only_when_asked_for_and_are_marked_benign(populated: Populated) -> None:
    text, bundle = bundle_of(populated, StixSelection(status=Status.WHITELISTED))
    assert errors_of(text) == []
    (indicator,) = by_type(bundle, "indicator")
    assert indicator["indicator_types"] == ["benign"]
    assert indicator["pattern"] == f"[email-addr:value = '{WHITELISTED_EMAIL}']"


def test_events_become_reports_referencing_their_objects(populated: Populated) -> None:
    _, bundle = bundle_of(populated, StixSelection())
    ids = {o["id"] for o in bundle["objects"]}
    (report,) = [r for r in by_type(bundle, "report") if r["name"] == "Zeus C2 seen"]
    assert set(report["object_refs"]) <= ids
    referenced = {ref.split("--")[0] for ref in report["object_refs"]}
    assert {"indicator", "ipv4-addr", "url", "malware"} <= referenced
    assert report["created_by_ref"] in ids
    (identity,) = [i for i in by_type(bundle, "identity") if i["id"] == report["created_by_ref"]]
    assert identity["name"] == "Feed One"


def test_relationships_link_observables_malware_and_related_indicators(
    populated: Populated,
) -> None:
    _, bundle = bundle_of(populated, StixSelection())
    names = {
        o["id"]: o.get("name") or o.get("value") or o.get("pattern") for o in bundle["objects"]
    }
    links = {
        (names[r["source_ref"]], r["relationship_type"], names[r["target_ref"]])
        for r in by_type(bundle, "relationship")
    }
    assert ("FQDN: bad.example.net", "indicates", "Zeus") in links
    assert ("FQDN: bad.example.net", "related-to", "bad.example.net") in links
    fqdn, url = "FQDN: bad.example.net", "URL: http://bad.example.net/gate.php?id='1'"
    assert {(fqdn, "related-to", url), (url, "related-to", fqdn)} & links


def test_tlp_markings_follow_the_sources(populated: Populated) -> None:
    _, bundle = bundle_of(populated, StixSelection())
    green = stix2.TLP_GREEN.id
    assert all(o["object_marking_refs"] == [green] for o in by_type(bundle, "indicator"))
    assert green in {o["id"] for o in by_type(bundle, "marking-definition")}


def test_amber_strict_source_is_exported_as_red(populated: Populated) -> None:
    _, bundle = bundle_of(populated, StixSelection(event_id=populated.login_event))
    (report,) = by_type(bundle, "report")
    assert report["object_marking_refs"] == [stix2.TLP_RED.id]


def test_one_event_export_holds_only_its_objects(populated: Populated) -> None:
    text, bundle = bundle_of(populated, StixSelection(event_id=populated.c2_event))
    assert errors_of(text) == []
    assert [r["name"] for r in by_type(bundle, "report")] == ["Zeus C2 seen"]
    assert "Credentials captured" not in text


def test_re_export_gives_the_same_objects(populated: Populated) -> None:
    _, first = bundle_of(populated, StixSelection())
    _, second = bundle_of(populated, StixSelection())
    assert first["objects"] == second["objects"]
