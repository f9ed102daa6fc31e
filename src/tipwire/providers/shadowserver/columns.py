"""Shadowserver report columns, found by header name: the fields TipWire reads and the rest.

Shadowserver inserts and appends columns over time, so a column is never found by position.
Each field lists its names, newest first (the legacy ``botnet_drone`` report used ``ip``,
``url``, ``agent``, ``cc``). Columns TipWire knows become named attributes; columns it does
not know are kept as attributes under their own name; a few per-hit columns (ports, ids)
are dropped because they would add one attribute per hit and say nothing about the host.
"""

from __future__ import annotations

SINKHOLE_FIELDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp",),
    "src_ip": ("src_ip", "ip"),
    "http_url": ("http_url", "url"),
    "http_host": ("http_host", "host", "cc_dns"),
    "http_agent": ("http_agent", "agent"),
    "infection": ("infection",),
    "family": ("family",),
}
"""What a sinkhole hit needs; the malware family is ``infection`` (older files: ``family``)."""

SINKHOLE_ATTRIBUTES: dict[str, str] = {
    "src_asn": "ASN",
    "asn": "ASN",
    "src_geo": "Country",
    "geo": "Country",
    "src_region": "Region",
    "region": "Region",
    "src_city": "City",
    "city": "City",
    "src_hostname": "Hostname",
    "hostname": "Hostname",
    "src_naics": "NAICS",
    "naics": "NAICS",
    "src_sector": "Sector",
    "sector": "Sector",
    "device_vendor": "Device Vendor",
    "device_type": "Device Type",
    "device_model": "Device Model",
    "severity": "Severity",
    "protocol": "Protocol",
    "dst_ip": "Sinkhole IP",
    "cc": "Sinkhole IP",
    "tag": "Tag",
    "public_source": "Public Source",
    "application": "Application",
    "ssl_servername": "TLS Server Name",
    "machine_name": "Machine Name",
    "forwarded_by": "Forwarded By",
    "http_referer": "HTTP Referer",
    "type": "Protocol",
    "proxy": "Proxy",
    "p0f_genre": "OS Genre",
    "sic": "SIC",
}
"""Known columns kept as attributes of the infected host, under these names."""

SINKHOLE_DROPPED = frozenset(
    {
        "src_port",
        "port",
        "dst_port",
        "cc_port",
        "dst_asn",
        "cc_asn",
        "dst_geo",
        "cc_geo",
        "dst_region",
        "dst_city",
        "dst_hostname",
        "dst_naics",
        "cc_naics",
        "cc_sic",
        "dst_sector",
        "cc_sector",
        "event_id",
        "id",
        "version",
        "ssl_cipher",
        "count",
        "p0f_detail",
    }
)
"""Known columns that change with every hit (ports, ids) or describe the sinkhole side."""

ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp",),
    "email": ("email",),
    "username": ("username",),
    "infection": ("infection", "family"),
    "source_url": ("source_url",),
    "service": ("service",),
}
"""What a compromised-account row needs."""

ACCOUNT_ATTRIBUTES: dict[str, str] = {
    "public_source": "Public Source",
    "status": "Account Status",
    "tag": "Tag",
    "severity": "Severity",
    "detail": "Detail",
}
"""Known compromised-account columns kept as attributes of the email address."""

SECRET_MARKERS = ("pass", "pwd", "secret", "token", "cookie", "hash")
"""A column whose name holds one of these is never kept, whatever report it is in."""


def is_secret_column(name: str) -> bool:
    """Whether a column may hold a credential, so that its values must never be stored."""
    return any(marker in name for marker in SECRET_MARKERS)
