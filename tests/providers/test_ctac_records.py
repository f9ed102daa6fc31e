"""CTAC records and decoding, without the network: what fits the model and what is reported."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from tipwire.errors import InvalidValueError
from tipwire.providers.ctac import (
    KEYLOGGER,
    SINKHOLE,
    CtacProtocolError,
    CtacRequestError,
    CtacUnavailableError,
    SinkholeHit,
)
from tipwire.providers.ctac.ndjson import CheckpointSplitter

SECRET = "SIMPW-Hunter2xyz"


def hit(**changes: Any) -> dict[str, Any]:
    """Return a valid sinkhole hit as served, with ``changes`` applied (None drops a field)."""
    record: dict[str, Any] = {
        "id": 1,
        "seen_at": "2025-01-01T00:00:00Z",
        "src_ip": "198.51.100.7",
        "src_port": 50123,
        "sinkhole_ip": "192.0.2.53",
        "dst_port": 80,
        "http_host": "qwhvbxkfdjs.com",
        "http_url": "/gate.php",
        "http_agent": "Mozilla/4.0",
        "malware_family": "Conficker",
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def capture(**changes: Any) -> dict[str, Any]:
    """Return a valid keylogger capture as served, with ``changes`` applied."""
    record: dict[str, Any] = {
        "id": 1,
        "captured_at": "2025-01-01T00:00:00Z",
        "email": "anna.kim@example.com",
        "username": "anna.kim@example.com",
        "keylogger": "Agent Tesla",
        "leak_url": "https://mail.example.com/owa/auth/logon.aspx",
        "application": "Google Chrome",
        "victim_ip": "203.0.113.9",
        "victim_host": "DESKTOP-7H3K2QX",
        "password": SECRET,
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def ndjson(*records: dict[str, Any]) -> bytes:
    """Return records as NDJSON bytes."""
    return b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)


def test_valid_hit_decodes_to_typed_values() -> None:
    (record,) = SINKHOLE.decode_lines(ndjson(hit())).records
    assert record.seen_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert record.src_port == 50123
    assert str(record.src_address) == "198.51.100.7"


def test_ipv6_addresses_are_canonicalised() -> None:
    (record,) = SINKHOLE.decode_lines(ndjson(hit(src_ip="2001:DB8:1000:0:0::0001"))).records
    assert record.src_ip == "2001:db8:1000::1"


def test_timestamps_with_an_offset_are_converted_to_utc() -> None:
    (record,) = SINKHOLE.decode_lines(ndjson(hit(seen_at="2025-01-01T02:00:00+02:00"))).records
    assert record.seen_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert record.seen_at.tzinfo is UTC


def test_constructing_a_hit_by_hand_validates_it_too() -> None:
    with pytest.raises(InvalidValueError, match="src_ip"):
        SinkholeHit(
            id=1,
            seen_at=datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=1))),
            src_ip="01.2.3.4",
            src_port=1,
            sinkhole_ip="192.0.2.1",
            dst_port=80,
            http_host="a.example",
            http_url="/",
            http_agent="x",
            malware_family="Zeus",
        )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"malware_family": None}, "malware_family"),
        ({"src_ip": "999.1.2.3"}, "src_ip: '999.1.2.3' is not an IP address"),
        ({"sinkhole_ip": "fe80::1%eth0"}, "sinkhole_ip"),
        ({"seen_at": "2025-13-45T25:61:00Z"}, "seen_at"),
        ({"seen_at": "2025-01-01 12:00:00"}, "seen_at"),
        ({"src_port": 70000}, "src_port"),
        ({"id": 0}, "id"),
    ],
)
def test_malformed_hit_is_reported_with_its_id_and_others_survive(
    change: dict[str, Any], reason: str
) -> None:
    buf = ndjson(hit(id=1), hit(**{"id": 2, **change}), hit(id=3))
    decoded = SINKHOLE.decode_lines(buf)
    assert [record.id for record in decoded.records] == [1, 3]
    assert len(decoded.malformed) == 1
    bad = decoded.malformed[0]
    assert bad.id == (0 if change.get("id") == 0 else 2)
    assert reason in bad.reason


def test_a_line_that_is_not_json_is_reported_without_an_id() -> None:
    decoded = SINKHOLE.decode_lines(ndjson(hit(id=1)) + b"{not json\n\n" + ndjson(hit(id=3)))
    assert [record.id for record in decoded.records] == [1, 3]
    assert [bad.id for bad in decoded.malformed] == [None]


@pytest.mark.parametrize(
    ("password", "captured"),
    [(SECRET, True), ("********", True), ("", False), (None, False)],
)
def test_capture_keeps_only_whether_a_password_was_captured(
    password: str | None, captured: bool
) -> None:
    (record,) = KEYLOGGER.decode_lines(ndjson(capture(password=password))).records
    assert record.password_captured is captured
    assert not hasattr(record, "password")


def test_null_password_means_none_captured() -> None:
    line = json.dumps(capture()).replace(f'"{SECRET}"', "null").encode()
    (record,) = KEYLOGGER.decode_lines(line).records
    assert record.password_captured is False


def test_password_survives_in_no_decoded_form() -> None:
    decoded = KEYLOGGER.decode_lines(ndjson(capture(), capture(id=2, victim_ip="300.1.1.1")))
    (record,) = decoded.records
    forms = [
        repr(decoded),
        str(record),
        msgspec.json.encode(record).decode(),
        repr(msgspec.structs.asdict(record)),
        repr(decoded.malformed),
    ]
    assert all(SECRET not in form for form in forms)
    assert decoded.malformed[0].id == 2


def test_password_of_the_wrong_type_is_reported_without_quoting_it() -> None:
    decoded = KEYLOGGER.decode_lines(ndjson(capture(password=987654321)))
    (bad,) = decoded.malformed
    assert bad.id == 1
    assert "password" in bad.reason
    assert "987654321" not in bad.reason


def test_page_envelope_with_malformed_records_keeps_the_rest() -> None:
    body = json.dumps(
        {
            "total": 3,
            "per_page": 3,
            "current_page": 1,
            "last_page": 1,
            "next_page_url": None,
            "cursor": "c3",
            "data": [hit(id=1), hit(id=2, src_ip="nope"), hit(id=3)],
        }
    ).encode()
    meta, decoded = SINKHOLE.decode_page(body)
    assert meta.cursor == "c3"
    assert [record.id for record in decoded.records] == [1, 3]
    assert [bad.id for bad in decoded.malformed] == [2]


def test_a_body_that_is_no_envelope_is_a_protocol_error() -> None:
    with pytest.raises(CtacProtocolError, match="not a page envelope"):
        SINKHOLE.decode_page(b'{"data": []}')


def _stream(*parts: bytes) -> bytes:
    return b"".join(parts)


def test_splitter_finds_checkpoints_whatever_the_chunking() -> None:
    tricky = hit(id=2, http_url='/?q={"cursor":1}')  # the prefix inside a string is escaped
    stream = _stream(
        ndjson(hit(id=1), tricky),
        b'{"cursor":"c2","records":2}\n',
        ndjson(hit(id=3)),
        b'{"cursor":"c3","records":3,"end":true}\n',
    )
    for size in (1, 7, 64, len(stream)):
        splitter = CheckpointSplitter()
        segments = [
            segment
            for start in range(0, len(stream), size)
            for segment in splitter.feed(stream[start : start + size])
        ]
        assert [segment.checkpoint.cursor for segment in segments] == ["c2", "c3"]
        assert segments[-1].checkpoint.end
        ids = [r.id for s in segments for r in SINKHOLE.decode_lines(s.lines).records]
        assert ids == [1, 2, 3]


def test_splitter_refuses_to_buffer_without_bound() -> None:
    splitter = CheckpointSplitter(max_segment_bytes=1000)
    splitter.feed(ndjson(hit()))
    with pytest.raises(CtacProtocolError, match="without a checkpoint"):
        splitter.feed(ndjson(*[hit(id=n) for n in range(1, 10)]))


def test_errors_with_details_survive_pickling() -> None:
    # A pull may run in a worker process; its errors cross back to the run pickled.
    error = CtacRequestError("CTAC rejected GET /x (HTTP 400)", 400)
    request = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (str(request), request.status_code) == ("CTAC rejected GET /x (HTTP 400)", 400)
    gone = pickle.loads(pickle.dumps(CtacUnavailableError("CTAC kept failing", 7, 61.5)))  # noqa: S301
    assert (str(gone), gone.attempts, gone.elapsed) == ("CTAC kept failing", 7, 61.5)


def ours(addresses: list[str]) -> list[int]:
    """A selection keeping the hits from 198.51.100.0/24 (a stand-in for the monitor's)."""
    return [n for n, address in enumerate(addresses) if address.startswith("198.51.100.")]


def test_a_selection_decodes_only_the_records_it_picks() -> None:
    buf = ndjson(
        hit(id=1, src_ip="198.51.100.7"),
        hit(id=2, src_ip="203.0.113.5"),
        hit(id=3, src_ip="198.51.100.9"),
        hit(id=4, src_ip="2001:db8::1"),
    )
    decoded = SINKHOLE.decode_selected(buf, ours)
    assert [record.id for record in decoded.records] == [1, 3]
    assert decoded.records == [r for r in SINKHOLE.decode_lines(buf).records if r.id in {1, 3}]
    assert decoded.skipped == 2
    assert decoded.malformed == []


def test_a_selection_still_reports_unreadable_lines_and_bad_picked_records() -> None:
    buf = (
        ndjson(hit(id=1, src_ip="198.51.100.7"), hit(id=2, src_ip="198.51.100.8", src_port=70000))
        + b"{not json\n\n"
        + ndjson(hit(id=5, src_ip=None), hit(id=6, src_ip=7), hit(id=7, src_ip="203.0.113.5"))
    )
    decoded = SINKHOLE.decode_selected(buf, ours)
    assert [record.id for record in decoded.records] == [1]
    # The bad port is in a picked record; the other three cannot say where they come from.
    assert sorted(str(bad.id) for bad in decoded.malformed) == ["2", "5", "6", "None"]
    assert decoded.skipped == 1


def test_a_record_from_elsewhere_is_read_for_its_address_only() -> None:
    """Documented: nothing of it would be kept, so a broken field there goes unreported."""
    decoded = SINKHOLE.decode_selected(
        ndjson(hit(id=1, src_ip="203.0.113.5", src_port=70000)), ours
    )
    assert decoded.records == [] and decoded.malformed == [] and decoded.skipped == 1
