"""The ``ctac-sim`` command: its options, its validation, and a real run as a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import typer
from typer.testing import CliRunner

from tipwire.providers.ctac.cli import ctac_sim


def app() -> typer.Typer:
    """Return a Typer app with ctac-sim registered the way tipwire's CLI does it."""
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """Stand-in for the tipwire command group."""

    application.command("ctac-sim")(ctac_sim)
    return application


def test_ctac_sim_offers_the_documented_options() -> None:
    group = typer.main.get_command(app())
    assert isinstance(group, typer.core.TyperGroup)
    command = group.commands["ctac-sim"]
    options = {name for param in command.params for name in param.opts}
    assert {
        "--host", "--port", "--seed", "--api-key", "--backlog", "--rate", "--error-rate",
        "--throttle-rate", "--malformed-rate", "--latency-ms", "--unredacted", "--retry-after",
        "--epoch",
    } <= options  # fmt: skip


@pytest.mark.parametrize("bad", [["--error-rate", "1.5"], ["--backlog", "-1"], ["--port", "x"]])
def test_ctac_sim_refuses_bad_values(bad: list[str]) -> None:
    result = CliRunner().invoke(app(), ["ctac-sim", *bad])
    assert result.exit_code == 2


@pytest.fixture
def sim_process() -> Iterator[str]:
    """Run ``python -m tipwire.providers.ctac`` on a free port; yield its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "tipwire.providers.ctac", "--port", str(port), "--backlog", "50",
        "--seed", "7", "--api-key", "cli-key", "--unredacted",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        while process.poll() is None:
            try:
                httpx.get(base_url + "/")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        process.communicate()


def test_ctac_sim_serves_the_api_from_the_command_line(sim_process: str) -> None:
    url = f"{sim_process}/api/v1/keylogger"
    page = httpx.get(url, params={"api_key": "cli-key", "per_page": 50}).json()
    assert page["total"] == 50
    assert any(record.get("password", "").startswith("SIMPW-") for record in page["data"])


def test_registering_the_command_loads_neither_the_web_server_nor_numpy() -> None:
    probe = (
        "import sys, tipwire.providers.ctac.cli, tipwire.providers.ctac; "
        "print(sorted({'numpy', 'starlette', 'uvicorn'} & set(sys.modules)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
