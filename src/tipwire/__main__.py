"""``python -m tipwire`` runs the command line."""

from tipwire.cli import main

main()
