"""CTAC (Wapack Labs) raw-data provider: typed records, the client, and a simulator.

The simulator lives in ``tipwire.providers.ctac.simulator`` and is not imported here, so
pulling data never loads the web server.
"""

from tipwire.providers.ctac.client import CtacClient, Page, PullStats
from tipwire.providers.ctac.codec import KEYLOGGER, SINKHOLE, Feed, MalformedRecord
from tipwire.providers.ctac.errors import (
    CtacAuthError,
    CtacError,
    CtacProtocolError,
    CtacRequestError,
    CtacTlsError,
    CtacUnavailableError,
)
from tipwire.providers.ctac.records import Cursor, KeyloggerCapture, SinkholeHit
from tipwire.providers.ctac.retry import RetryPolicy

__all__ = [
    "KEYLOGGER",
    "SINKHOLE",
    "CtacAuthError",
    "CtacClient",
    "CtacError",
    "CtacProtocolError",
    "CtacRequestError",
    "CtacTlsError",
    "CtacUnavailableError",
    "Cursor",
    "Feed",
    "KeyloggerCapture",
    "MalformedRecord",
    "Page",
    "PullStats",
    "RetryPolicy",
    "SinkholeHit",
]
