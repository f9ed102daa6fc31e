"""The vocabulary of threat intelligence: pure data, no I/O."""

from tipwire.model.batch import IngestBatch
from tipwire.model.events import EventType
from tipwire.model.objects import (
    Attribute,
    Event,
    EventRef,
    Indicator,
    IndicatorRef,
    Ref,
    Relation,
    Source,
    Tlp,
    event_key,
    utc,
)
from tipwire.model.status import DEFAULT_STATUS, PROTECTED_STATUSES, Status
from tipwire.model.types import IndicatorType

__all__ = [
    "DEFAULT_STATUS",
    "PROTECTED_STATUSES",
    "Attribute",
    "Event",
    "EventRef",
    "EventType",
    "Indicator",
    "IndicatorRef",
    "IndicatorType",
    "IngestBatch",
    "Ref",
    "Relation",
    "Source",
    "Status",
    "Tlp",
    "event_key",
    "utc",
]
