"""The ``tipwire ctac-sim`` command: serve the CTAC simulator in the foreground."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from tipwire.errors import ConfigurationError


def ctac_sim(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8900,
    seed: Annotated[
        int, typer.Option(help="Seed of the synthetic data: same seed, same records.")
    ] = 1,
    api_key: Annotated[str, typer.Option(help="API key clients must send.")] = "demo-key",
    backlog: Annotated[
        int, typer.Option(min=0, help="Records of each feed present at startup.")
    ] = 10_000,
    rate: Annotated[
        float, typer.Option(min=0.0, help="New records of each feed per minute (0: static data).")
    ] = 0.0,
    error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered with a 5xx.")
    ] = 0.0,
    throttle_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 429 + Retry-After.")
    ] = 0.0,
    malformed_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of records served malformed.")
    ] = 0.0,
    latency_ms: Annotated[
        float, typer.Option(min=0.0, help="Mean latency added to each request (+-50%).")
    ] = 0.0,
    retry_after: Annotated[
        int, typer.Option(min=0, help="Seconds a 429 answer asks clients to wait.")
    ] = 1,
    unredacted: Annotated[
        bool, typer.Option(help="Serve fake plaintext passwords (SIMPW-...) instead of ********.")
    ] = False,
    epoch: Annotated[
        datetime | None,
        typer.Option(help="UTC time of record 0 (default 2025-01-01); later ids are later."),
    ] = None,
) -> None:
    """Serve the CTAC raw-data API with deterministic synthetic sinkhole and keylogger data."""
    # Imported here so that registering the command loads neither the web server nor numpy.
    from tipwire.providers.ctac.serve import serve_forever
    from tipwire.providers.ctac.simulator import DEFAULT_EPOCH, SimulatorConfig

    try:
        config = SimulatorConfig(
            seed=seed,
            api_key=api_key,
            backlog=backlog,
            rate=rate,
            error_rate=error_rate,
            throttle_rate=throttle_rate,
            malformed_rate=malformed_rate,
            latency_ms=latency_ms,
            retry_after=retry_after,
            unredacted=unredacted,
            epoch=DEFAULT_EPOCH if epoch is None else _as_utc(epoch),
        )
    except ConfigurationError as exc:
        raise typer.BadParameter(str(exc)) from None
    typer.echo(
        f"CTAC simulator on http://{host}:{port}/api/v1/{{sinkhole,keylogger}} "
        f"(seed {seed}, backlog {backlog}, {rate:g}/min"
        f"{', UNREDACTED passwords' if unredacted else ''}); send X-Api-Key: {api_key}"
    )
    serve_forever(config, host, port)


def _as_utc(moment: datetime) -> datetime:
    """Read a time given without a zone as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
