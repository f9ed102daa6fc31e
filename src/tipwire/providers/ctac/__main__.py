"""``python -m tipwire.providers.ctac``: the CTAC simulator without the ``tipwire`` command."""

import typer

from tipwire.providers.ctac.cli import ctac_sim


def main() -> None:
    """Run ``ctac-sim`` from the command line."""
    typer.run(ctac_sim)


if __name__ == "__main__":
    main()
