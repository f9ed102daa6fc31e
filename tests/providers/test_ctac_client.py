"""The CTAC client against the simulator over real HTTP on loopback: no HTTP mocks."""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tipwire.errors import TipwireError
from tipwire.providers.ctac import (
    KEYLOGGER,
    SINKHOLE,
    CtacAuthError,
    CtacClient,
    CtacProtocolError,
    CtacRequestError,
    CtacTlsError,
    CtacUnavailableError,
    Cursor,
    Feed,
    Page,
    RetryPolicy,
)
from tipwire.providers.ctac.serve import RunningSimulator, run_simulator
from tipwire.providers.ctac.simulator import SimulatorConfig
from tipwire.providers.ctac.synth_keylogger import PLAINTEXT_MARKER

R = TypeVar("R")
KEY = "test-key"
FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.05, give_up_after=10.0)
BACKLOG = 1200


class ManualClock:
    """A simulator clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def config(**changes: Any) -> SimulatorConfig:
    """Return a small, quick simulator configuration."""
    settings: dict[str, Any] = {"seed": 7, "api_key": KEY, "backlog": BACKLOG}
    settings.update(changes)
    return SimulatorConfig(**settings)


def client(sim: RunningSimulator, **options: Any) -> CtacClient:
    """Return a client for the simulator with fast retries."""
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("per_page", 250)
    return CtacClient(sim.base_url, KEY, **options)


def ids_of(pages: list[Page[Any]]) -> list[int]:
    """Return the ids of every record in the pages, in order."""
    return [record.id for page in pages for record in page.records]


def pull(
    ctac: CtacClient, feed: Feed[R], since: Cursor | None = None, *, export: bool = False
) -> list[Page[R]]:
    """Return every page of one pull, from the paginated endpoint or the export."""
    if export:
        return list(ctac.export(feed, since, checkpoint_every=300))
    return list(ctac.pages(feed, since))


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A fault-free simulator shared by the tests that only read from it."""
    with run_simulator(config()) as running:
        yield running


@pytest.mark.parametrize("export", [False, True], ids=["pages", "export"])
def test_pull_yields_every_record_once_in_order_with_a_cursor_per_page(
    sim: RunningSimulator, export: bool
) -> None:
    with client(sim) as ctac:
        pages = pull(ctac, SINKHOLE, export=export)
    assert ids_of(pages) == list(range(1, BACKLOG + 1))
    assert len(pages) == math.ceil(BACKLOG / (300 if export else 250))
    assert len({page.cursor for page in pages}) == len(pages)
    assert all(not page.malformed for page in pages)


def test_export_and_pages_serve_identical_records(sim: RunningSimulator) -> None:
    with client(sim) as ctac:
        paged = [r for page in pull(ctac, KEYLOGGER) for r in page.records]
        exported = [r for page in pull(ctac, KEYLOGGER, export=True) for r in page.records]
    assert paged == exported


@pytest.mark.parametrize("export", [False, True], ids=["pages", "export"])
def test_resuming_from_a_page_cursor_loses_and_repeats_nothing(
    sim: RunningSimulator, export: bool
) -> None:
    with client(sim) as ctac:
        pages = pull(ctac, SINKHOLE, export=export)
        committed = pages[1].cursor  # as if the run died after committing two pages
        resumed = pull(ctac, SINKHOLE, committed, export=export)
    assert ids_of(pages[:2]) + ids_of(resumed) == list(range(1, BACKLOG + 1))


def test_a_caller_can_stop_early_and_resume_later(sim: RunningSimulator) -> None:
    with client(sim) as ctac:
        first = next(iter(ctac.export(SINKHOLE, checkpoint_every=100)))
        rest = pull(ctac, SINKHOLE, first.cursor, export=True)
    assert ids_of([first, *rest]) == list(range(1, BACKLOG + 1))


def test_a_caught_up_cursor_yields_nothing(sim: RunningSimulator) -> None:
    with client(sim) as ctac:
        last = pull(ctac, SINKHOLE)[-1].cursor
        assert pull(ctac, SINKHOLE, last) == []
        assert pull(ctac, SINKHOLE, last, export=True) == []


def test_each_run_finds_the_records_that_arrived_since_the_last() -> None:
    clock = ManualClock()
    with run_simulator(config(backlog=100, rate=600, clock=clock)) as sim, client(sim) as ctac:
        first_run = pull(ctac, SINKHOLE)
        clock.now += 30.0  # half a minute at 600 per minute
        second_run = pull(ctac, SINKHOLE, first_run[-1].cursor)
    assert ids_of(first_run) == list(range(1, 101))
    assert ids_of(second_run) == list(range(101, 401))


def test_wrong_key_is_a_clear_error_and_is_not_retried() -> None:
    with run_simulator(config()) as sim:
        ctac = CtacClient(sim.base_url, "wrong-key", retry=FAST_RETRY)
        with pytest.raises(CtacAuthError, match="refused the API key") as raised:
            pull(ctac, SINKHOLE)
        ctac.close()
        assert sim.stats.requests == 1
    assert isinstance(raised.value, TipwireError)
    assert "wrong-key" not in str(raised.value)


def test_a_cursor_of_another_feed_is_refused_without_retry(sim: RunningSimulator) -> None:
    with client(sim) as ctac:
        keylogger_cursor = pull(ctac, KEYLOGGER)[0].cursor
        with pytest.raises(CtacRequestError, match="HTTP 400") as raised:
            pull(ctac, SINKHOLE, keylogger_cursor)
        assert ctac.stats.retries == 0
    assert raised.value.status_code == 400


@pytest.mark.parametrize("export", [False, True], ids=["pages", "export"])
def test_server_errors_are_retried_until_the_pull_completes(export: bool) -> None:
    with run_simulator(config(error_rate=0.5)) as sim, client(sim) as ctac:
        # An export is one request: pull until the dice have failed at least one of them.
        for _ in range(20):
            assert ids_of(pull(ctac, SINKHOLE, export=export)) == list(range(1, BACKLOG + 1))
            if sim.stats.errors:
                break
        assert sim.stats.errors > 0
        assert ctac.stats.retries == sim.stats.errors


def test_throttling_is_honoured_by_waiting_the_retry_after() -> None:
    sleeps: list[float] = []

    def recording_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    with (
        run_simulator(config(backlog=600, throttle_rate=0.3, retry_after=1)) as sim,
        client(sim, sleep=recording_sleep) as ctac,
    ):
        pages = pull(ctac, SINKHOLE)
        assert sim.stats.throttled > 0
        assert sim.stats.early_retries == 0  # never came back before Retry-After ran out
        assert ctac.stats.throttled == sim.stats.throttled
    assert sleeps
    assert all(seconds >= 1 for seconds in sleeps)
    assert ids_of(pages) == list(range(1, 601))


@pytest.mark.parametrize("export", [False, True], ids=["pages", "export"])
def test_malformed_records_are_counted_with_their_ids_and_none_vanish(export: bool) -> None:
    with run_simulator(config(malformed_rate=0.05)) as sim, client(sim) as ctac:
        pages = pull(ctac, SINKHOLE, export=export)
        stats = ctac.stats
    good = ids_of(pages)
    bad = [report.id for page in pages for report in page.malformed if isinstance(report.id, int)]
    assert len(bad) == sum(len(page.malformed) for page in pages)
    assert sorted(good + bad) == list(range(1, BACKLOG + 1))  # every id accounted for once
    assert 20 < len(bad) < 110
    assert stats.malformed == len(bad)
    reasons = " ".join(report.reason for page in pages for report in page.malformed)
    for symptom in ("missing required field", "is not an IP address", "seen_at"):
        assert symptom in reasons


def test_slow_answers_time_out_and_are_retried() -> None:
    with (
        run_simulator(config(backlog=500, latency_ms=200)) as sim,
        client(sim, timeout=httpx.Timeout(0.2), per_page=100) as ctac,
    ):
        pages = pull(ctac, SINKHOLE)
        assert ctac.stats.retries > 0
    assert ids_of(pages) == list(range(1, 501))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("export", [False, True], ids=["pages", "export"])
def test_gives_up_after_the_retry_budget_with_a_clear_error(export: bool) -> None:
    policy = RetryPolicy(initial_delay=0.01, max_delay=0.1, give_up_after=0.5)
    ctac = CtacClient(f"http://127.0.0.1:{_closed_port()}", KEY, retry=policy)
    with pytest.raises(CtacUnavailableError) as raised:
        pull(ctac, SINKHOLE, export=export)
    error = raised.value
    assert error.attempts > 1
    assert "retry budget 0.5 s" in str(error)
    assert "gave up on GET http://127.0.0.1:" in str(error)
    assert "ConnectError" in str(error)


def test_a_server_that_keeps_failing_is_given_up_on_naming_the_status() -> None:
    policy = RetryPolicy(initial_delay=0.01, max_delay=0.05, give_up_after=0.3)
    with (
        run_simulator(config(error_rate=1.0)) as sim,
        client(sim, retry=policy) as ctac,
        pytest.raises(CtacUnavailableError, match=r"last error: HTTP 50\d"),
    ):
        pull(ctac, SINKHOLE)


def test_passwords_never_reach_decoded_objects_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        run_simulator(config(unredacted=True, malformed_rate=0.05)) as sim,
        client(sim) as ctac,
    ):
        raw = httpx.get(f"{sim.base_url}/api/v1/keylogger", headers={"X-Api-Key": KEY}).text
        pages = pull(ctac, KEYLOGGER) + pull(ctac, KEYLOGGER, export=True)
    assert PLAINTEXT_MARKER in raw  # the simulator really served plaintext
    records = [record for page in pages for record in page.records]
    captured = sum(record.password_captured for record in records)
    assert 0.55 < captured / len(records) < 0.78  # about a third carry no password
    decoded_forms = [repr(pages), msgspec.json.encode(records).decode(), caplog.text]
    assert all(PLAINTEXT_MARKER not in form for form in decoded_forms)


def test_an_injected_http_client_is_used_and_left_open(sim: RunningSimulator) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    with client(sim, http=http) as ctac:
        pull(ctac, SINKHOLE)
    assert seen[0] == "/api/v1/sinkhole"
    assert not http.is_closed
    http.close()


def test_a_client_factory_is_called_and_its_client_closed(sim: RunningSimulator) -> None:
    made: list[httpx.Client] = []

    def factory() -> httpx.Client:
        made.append(httpx.Client(timeout=5))
        return made[-1]

    with client(sim, http_factory=factory) as ctac:
        assert ids_of(pull(ctac, SINKHOLE))[-1] == BACKLOG
    assert made[0].is_closed


def test_a_next_page_on_another_origin_is_refused(sim: RunningSimulator) -> None:
    # The simulator builds next_page_url from the Host header, like most web frameworks:
    # a forged Host makes it point elsewhere, where the API key must not go.
    http = httpx.Client(headers={"Host": "evil.example"})
    with client(sim, http=http) as ctac, pytest.raises(CtacProtocolError, match="another origin"):
        pull(ctac, SINKHOLE)
    http.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ctac.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def test_tls_is_verified_by_default_and_an_untrusted_server_fails_fast(
    self_signed: tuple[str, str],
) -> None:
    with run_simulator(config(), tls=self_signed) as sim, client(sim) as ctac:
        with pytest.raises(CtacTlsError, match="TLS verification failed"):
            pull(ctac, SINKHOLE)
        assert ctac.stats.retries == 0


def test_a_server_signed_by_a_trusted_ca_is_accepted(self_signed: tuple[str, str]) -> None:
    trusted = ssl.create_default_context(cafile=self_signed[0])
    with run_simulator(config(), tls=self_signed) as sim, client(sim, verify=trusted) as ctac:
        assert ids_of(pull(ctac, SINKHOLE)) == list(range(1, BACKLOG + 1))
