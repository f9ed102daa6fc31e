"""`tipwire integrations/run/runs` as cron and people use them: real installs, real processes."""

from __future__ import annotations

import json
import signal

from .conftest import Site
from .waiting import run_records, until

NAME = "example-synthetic"
FEED = "example-sightings"


def test_a_third_party_plugin_is_discovered_once_installed(site_factory: type[Site]) -> None:
    site = site_factory()
    listed = site.tipwire("integrations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = [entry["name"] for entry in json.loads(listed.stdout)]
    assert names == ["ctac-keylogger", "ctac-sinkhole", FEED, NAME, "shadowserver", "stealer-logs"]
    site.env.pop("PYTHONPATH")
    without = json.loads(site.tipwire("integrations", "list", "--json").stdout)
    assert FEED not in [entry["name"] for entry in without]


def test_configure_show_enable_run_and_runs(site_factory: type[Site]) -> None:
    site = site_factory()
    secret = "S3cretKey-XYZ"
    bad = site.tipwire(
        "integrations", "configure", FEED, "--set", "api_url=http://127.0.0.1:9",
        "--set", f"api_key={secret}", "--set", "cidr_blocks=10.0.0.0/8,10.0.0.0/33",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "cidr_blocks: '10.0.0.0/33' is not a valid CIDR block (item 2)" in bad.stderr
    good = site.tipwire(
        "integrations", "configure", FEED, "--set", "api_url=http://127.0.0.1:9",
        "--set", f"api_key={secret}", "--set", "cidr_blocks=198.51.100.0/24, 2001:db8::/32",
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    shown = site.tipwire("integrations", "show", FEED).stdout
    assert "********" in shown
    assert "198.51.100.0/24, 2001:db8::/32" in shown
    assert secret not in shown
    for path in site.data_dir.iterdir():
        assert secret.encode() not in path.read_bytes(), path
    disabled = site.tipwire("run", FEED)
    assert disabled.returncode == 2
    assert "disabled" in disabled.stderr
    assert site.tipwire("integrations", "enable", FEED).returncode == 0
    dead_provider = site.tipwire("run", FEED)
    assert dead_provider.returncode == 1
    assert "ConnectError" in dead_provider.stderr
    (record,) = json.loads(site.tipwire("runs", FEED, "--json").stdout)
    assert record["status"] == "failed"
    assert {"id", "started_at", "finished_at", "records_fetched", "errors"} <= set(record)


def test_run_exit_codes(site_factory: type[Site]) -> None:
    site = site_factory()
    site.setup(NAME, total=4, batch_size=2)
    assert site.tipwire("run", NAME).returncode == 0
    site.configs.configure(NAME, {"fail_after_batches": 0, "total": 8})
    failed = site.tipwire("run", NAME)
    assert failed.returncode == 1
    assert "synthetic failure" in failed.stderr
    unknown = site.tipwire("run", "no-such-thing")
    assert unknown.returncode == 2
    assert "no integration called 'no-such-thing'" in unknown.stderr
    statuses = [r["status"] for r in json.loads(site.tipwire("runs", NAME, "--json").stdout)]
    assert statuses == ["failed", "success"]


def test_a_second_concurrent_run_exits_75(site_factory: type[Site]) -> None:
    site = site_factory()
    # The first run commits one batch, then waits long enough to hold the lease throughout.
    site.setup(NAME, total=2, batch_size=1, pause_seconds=120)
    first = site.start("run", NAME)
    until(
        lambda: (
            bool(run_records(site.engine, NAME))
            and run_records(site.engine, NAME)[0].records["batches"] == 1
        ),
        first,
    )
    second = site.tipwire("run", NAME)
    assert second.returncode == 75
    assert "already running" in second.stderr
    first.send_signal(signal.SIGTERM)
    first.communicate()
    assert first.returncode == 128 + signal.SIGTERM
    (record,) = run_records(site.engine, NAME)
    assert record.status == "failed"
    assert "stopped" in record.errors[-1]["message"]
    site.configs.configure(NAME, {}, unset=["pause_seconds"])
    assert site.tipwire("run", NAME).returncode == 0  # the lease was released


def test_long_lists_are_read_from_a_file(site_factory: type[Site]) -> None:
    site = site_factory()
    blocks = site.data_dir.parent / "blocks.txt"
    blocks.write_text(
        "# our networks\n198.51.100.0/24\n\n2001:db8:1000::/36  # lab\n203.0.113.0/24\n",
        encoding="utf-8",
    )
    done = site.tipwire(
        "integrations", "configure", FEED, "--set", "api_url=http://127.0.0.1:9",
        "--set", "api_key=k", "--set-from-file", f"cidr_blocks={blocks}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = json.dumps(json.loads(site.tipwire("integrations", "show", FEED, "--json").stdout))
    positions = [shown.find(b) for b in ("198.51.100.0/24", "2001:db8:1000::/36", "203.0.113.0/24")]
    assert -1 not in positions
    assert positions == sorted(positions)  # in file order, comments and blank lines dropped
    assert "our networks" not in shown
    missing = site.tipwire(
        "integrations", "configure", FEED, "--set-from-file", "cidr_blocks=/no/such/file"
    )
    assert missing.returncode == 2
    assert "cannot read /no/such/file" in missing.stderr
