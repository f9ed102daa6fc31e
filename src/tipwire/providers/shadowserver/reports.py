"""Shadowserver report types TipWire reads, and how a report file's name tells its type."""

from __future__ import annotations

import re
from enum import StrEnum

from tipwire.errors import InvalidValueError


class ReportKind(StrEnum):
    """What a report's rows are: sinkhole hits from hosts, or compromised accounts."""

    SINKHOLE = "sinkhole"
    ACCOUNTS = "accounts"


REPORT_TYPES: dict[str, ReportKind] = {
    "event4_sinkhole_http": ReportKind.SINKHOLE,
    "event6_sinkhole_http": ReportKind.SINKHOLE,
    "event4_sinkhole": ReportKind.SINKHOLE,
    "event6_sinkhole": ReportKind.SINKHOLE,
    "event4_microsoft_sinkhole_http": ReportKind.SINKHOLE,
    "botnet_drone": ReportKind.SINKHOLE,
    "compromised_account": ReportKind.ACCOUNTS,
}
"""Every report type TipWire reads, by the name Shadowserver gives it."""

# Longest first, so that "event4_sinkhole_http" wins over "event4_sinkhole".
_BY_LENGTH = sorted(REPORT_TYPES, key=len, reverse=True)
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-(?P<rest>.+)$")


def report_type_of(file_name: str) -> str | None:
    """The report type a Shadowserver file name carries, or None.

    Names look like ``2024-05-01-event4_sinkhole_http-example-asn.csv``; the type may be
    followed by the recipient's name (``..._example_com-asn.csv``).
    """
    base = file_name.rsplit("/", 1)[-1].lower()
    match = _DATED.match(base)
    rest = match.group("rest") if match else base
    for name in _BY_LENGTH:
        if rest.startswith(name) and (len(rest) == len(name) or rest[len(name)] in "-_."):
            return name
    return None


def check_report_type(name: str) -> str:
    """A report type given by a user, or an error naming the ones TipWire reads."""
    text = name.strip().lower()
    if text not in REPORT_TYPES:
        known = ", ".join(REPORT_TYPES)
        raise InvalidValueError(
            "report type", name, f"is not a report type TipWire reads ({known})"
        )
    return text
