"""Keep what touches the organisation: its CIDR blocks (NetworkSet) and email domains (DomainSet).

Pure and vectorised: no I/O. Each set is built once per run and matches a whole page at a time.
"""

from tipwire.match.domains import DomainMatch, DomainSet
from tipwire.match.networks import NetworkMatch, NetworkSet
from tipwire.match.result import PageMatch

__all__ = ["DomainMatch", "DomainSet", "NetworkMatch", "NetworkSet", "PageMatch"]
