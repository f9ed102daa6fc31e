"""Open Exchange: the contract integrations implement, and the machinery that runs them.

Plugin authors need only what this package exports; the runner, scheduler, registry and
config store live in its submodules.
"""

from tipwire.exchange.base import HttpFactory, Integration, RunContext
from tipwire.exchange.config import (
    CidrBlocks,
    CommaList,
    CronSchedule,
    Domains,
    EventTypeName,
    HttpUrl,
    IntegrationConfig,
    StatusName,
)

__all__ = [
    "CidrBlocks",
    "CommaList",
    "CronSchedule",
    "Domains",
    "EventTypeName",
    "HttpFactory",
    "HttpUrl",
    "Integration",
    "IntegrationConfig",
    "RunContext",
    "StatusName",
]
