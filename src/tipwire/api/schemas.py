"""Request bodies: strict (unknown fields are refused) and bounded in size."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Name = Annotated[str, Field(min_length=1, max_length=128)]
Value = Annotated[str, Field(min_length=1, max_length=8192)]
Score = Annotated[int, Field(ge=0, le=10)]
# The hard cap on one consume call: bigger feeds send several.
MAX_CONSUME = 10_000


class Strict(BaseModel):
    """Refuses fields it does not know, and text holding NUL (no database can keep it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class SourceIn(Strict):
    """Where the intelligence comes from; defaults to the caller's own name."""

    name: Name
    tlp: Annotated[str, Field(max_length=16)] = "AMBER"


class AttributeIn(Strict):
    """A named fact about an indicator or event."""

    name: Name
    value: Annotated[str, Field(min_length=1, max_length=4096)]
    seen_at: datetime | None = None


class IndicatorRefIn(Strict):
    """Names an indicator by type and value."""

    type: Name
    value: Value


class IndicatorIn(Strict):
    """An indicator to create or see again, with its attributes and related indicators."""

    type: Name
    value: Value
    status: Annotated[str, Field(max_length=32)] | None = None
    score: Score | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    attributes: Annotated[list[AttributeIn], Field(max_length=1000)] = []
    related_indicators: Annotated[list[IndicatorRefIn], Field(max_length=1000)] = []
    source: SourceIn | None = None


class EventIn(Strict):
    """An event to create or update (by key), with attributes and related indicators."""

    title: Annotated[str, Field(min_length=1, max_length=512)]
    type: Name
    happened_at: datetime
    description: Annotated[str, Field(max_length=100_000)] = ""
    key: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    attributes: Annotated[list[AttributeIn], Field(max_length=1000)] = []
    indicators: Annotated[list[IndicatorIn], Field(max_length=MAX_CONSUME)] = []
    source: SourceIn | None = None


class IndicatorChange(Strict):
    """An analyst's change to an indicator: status, score (null clears the manual score)."""

    status: Annotated[str, Field(max_length=32)] | None = None
    score: Score | None = None
    clear_score: bool = False


class EventChange(Strict):
    """An analyst's edit of an event: title, description, type (edited text stops updating)."""

    title: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    description: Annotated[str, Field(max_length=100_000)] | None = None
    type: Name | None = None


class RelationIn(Strict):
    """The other end of a relation, by id."""

    id: Annotated[int, Field(ge=1, le=2**62)]


class WhitelistRuleIn(Strict):
    """A whitelist rule: a wildcard value, or a CIDR block for address types."""

    type: Name
    pattern: Annotated[str, Field(min_length=1, max_length=1024)]


class AccountIn(Strict):
    """A new user (password optional: one is generated and returned once) or API client."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    role: Annotated[str, Field(max_length=16)]
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None


class AccountChange(Strict):
    """Changes to a user or client: role, switch, password (users only)."""

    role: Annotated[str, Field(max_length=16)] | None = None
    disabled: bool | None = None
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None
