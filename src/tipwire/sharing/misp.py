"""MISP events through PyMISP's model: attributes typed and categorised as MISP expects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymisp import MISPAttribute, MISPEvent, PyMISP
from sqlalchemy import Connection

from tipwire.errors import ConfigurationError, InvalidValueError
from tipwire.model import IndicatorType, Status
from tipwire.sharing.ids import stable_uuid
from tipwire.sharing.tlp import misp_tag, strictest
from tipwire.store import exports
from tipwire.store.exports import IndicatorRecord

FAMILY_ATTRIBUTES = ("Malware Family", "Keylogger")
# An address with a "Monitored Block" attribute is one of the organisation's own hosts seen
# calling out (a sinkhole hit): the source of the bad traffic. Any other address is where bad
# traffic goes (a C2 or a scanner's target list), so a destination.
OWN_HOST_ATTRIBUTE = "Monitored Block"
# (MISP type, category, may set to_ids) per indicator type; addresses are decided per record.
_MAPPING: dict[IndicatorType, tuple[str, str, bool]] = {
    IndicatorType.CIDR_BLOCK: ("ip-dst", "Network activity", True),
    IndicatorType.FQDN: ("domain", "Network activity", True),
    IndicatorType.URL: ("url", "Network activity", True),
    IndicatorType.EMAIL_ADDRESS: ("email-src", "Payload delivery", True),
    IndicatorType.USER_AGENT: ("user-agent", "Network activity", True),
    IndicatorType.USERNAME: ("target-user", "Targeting data", False),
    IndicatorType.MD5: ("md5", "Payload delivery", True),
    IndicatorType.SHA1: ("sha1", "Payload delivery", True),
    IndicatorType.SHA256: ("sha256", "Payload delivery", True),
    IndicatorType.FILENAME: ("filename", "Payload delivery", True),
    IndicatorType.ASN: ("AS", "Network activity", False),
    IndicatorType.STRING: ("text", "Other", False),
}


def family_tag(family: str) -> str:
    """The tag that names a malware family on a MISP event or attribute."""
    return f"malware:{family}"


def misp_type(record: IndicatorRecord) -> tuple[str, str, bool]:
    """(MISP attribute type, category, whether to_ids may be set) for an indicator."""
    type_ = IndicatorType(record.type)
    if type_ in (IndicatorType.IP_ADDRESS, IndicatorType.IPV6_ADDRESS):
        own = bool(record.attribute_values(OWN_HOST_ATTRIBUTE))
        return ("ip-src" if own else "ip-dst", "Network activity", True)
    return _MAPPING[type_]


def misp_attribute(record: IndicatorRecord, event_uuid: str) -> MISPAttribute:
    """One indicator as a MISP attribute; ``to_ids`` only when it is Active."""
    kind, category, detectable = misp_type(record)
    attribute = MISPAttribute()
    attribute.from_dict(
        type=kind,
        category=category,
        value=record.value,
        to_ids=detectable and record.status == Status.ACTIVE.value,
        comment=f"TipWire indicator {record.id}: {record.status}",
        uuid=str(stable_uuid(event_uuid, record.type, record.value)),
        first_seen=record.first_seen,
        last_seen=record.last_seen,
        disable_correlation=False,
    )
    for family in sorted({v for n, v in record.attributes if n in FAMILY_ATTRIBUTES}):
        attribute.add_tag(family_tag(family))
    return attribute


def build_event(connection: Connection, event_id: int) -> MISPEvent:
    """A stored event as a MISP event with its indicators as attributes."""
    event = exports.load_event(connection, event_id)
    uuid = str(stable_uuid("misp-event", event.key))
    misp = MISPEvent()
    misp.from_dict(
        uuid=uuid,
        info=event.title,
        date=event.happened_at.date(),
        timestamp=event.updated_at,
        threat_level_id=4,
        analysis=2,
        # Your organisation only: the receiver decides how far it goes, within the TLP tag.
        distribution=0,
        published=False,
    )
    misp.add_tag(misp_tag(strictest(source.tlp for source in event.sources)))
    misp.add_tag(f'tipwire:event-type="{event.type}"')
    for family in sorted({v for n, v in event.attributes if n in FAMILY_ATTRIBUTES}):
        misp.add_tag(family_tag(family))
    for record in exports.load_indicators(connection, event.indicator_ids):
        misp.add_attribute(**misp_attribute(record, uuid).to_dict())
    if event.description:
        misp.add_attribute("comment", event.description, category="Other", to_ids=False)
    return misp


def event_json(connection: Connection, event_id: int) -> str:
    """The MISP event JSON (``{"Event": {...}}``) for a stored event."""
    return str(build_event(connection, event_id).to_json(indent=2))


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the MISP server answered: the id and uuid of the event it stored."""

    id: str
    uuid: str


def push_event(
    event: MISPEvent, url: str, key: str, *, verify_tls: bool = True, timeout: float = 30.0
) -> PushResult:
    """Send an event to a MISP server with PyMISP, adding it or updating it by uuid."""
    if not url.startswith(("http://", "https://")):
        raise InvalidValueError("url", url, "is not an http:// or https:// URL")
    try:
        misp = PyMISP(url, key, ssl=verify_tls, timeout=timeout)
    except Exception as exc:  # PyMISP raises its own and requests' errors alike
        raise ConfigurationError(f"MISP at {url}: {_login_failure(exc, key)}") from None
    try:
        existing: Any = misp.get_event(event.uuid, pythonify=False)
        if isinstance(existing, dict) and "Event" in existing:
            answer: Any = misp.update_event(
                event, event_id=existing["Event"]["id"], pythonify=False
            )
        else:
            answer = misp.add_event(event, pythonify=False)
    except Exception as exc:  # the server went away, or failed (HTTP 5xx), mid-push
        raise ConfigurationError(f"MISP at {url}: push failed ({_scrub(exc, key)})") from None
    if not isinstance(answer, dict) or "Event" not in answer:
        raise ConfigurationError(f"MISP at {url}: refused the event ({_scrub(answer, key)})")
    return PushResult(str(answer["Event"]["id"]), str(answer["Event"]["uuid"]))


def _login_failure(exc: BaseException, key: str) -> str:
    """Why PyMISP could not start: the server is out of reach, or it refused the key."""
    # PyMISP wraps a network error (requests' errors are OSErrors) in its own error.
    cause = exc if isinstance(exc, OSError) else exc.__context__
    if isinstance(cause, OSError):
        return f"cannot connect ({_scrub(cause, key)})"
    return f"cannot log in ({_scrub(exc, key)})"


def _scrub(detail: object, key: str) -> str:
    """A server's answer or an error, never carrying the API key."""
    return str(detail).replace(key, "********")[:500]
