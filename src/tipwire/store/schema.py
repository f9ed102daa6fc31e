"""The database schema: one ``...Row`` class per table."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tipwire.store.types import Id, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base holding TipWire's metadata."""

    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A named origin of intelligence with its TLP label."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    tlp: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IndicatorRow(Base):
    """An indicator, unique by (type, normalised value) through ``key_hash``."""

    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # A fixed-size digest of (type, value): long URLs exceed btree key limits on PostgreSQL.
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    # Set when an analyst chose the status; ingest then leaves it alone.
    status_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    manual_score: Mapped[int | None] = mapped_column(SmallInteger)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # Re-ingest moves last_seen on every row it sees again. Leaving it unindexed and pages
    # 30% free lets PostgreSQL update in place (HOT) instead of rewriting every index.
    __table_args__ = (
        Index("ix_indicators_type_status", "type", "status"),
        {"postgresql_with": {"fillfactor": 70}},
    )


# The link tables that bulk ingest fills by the million carry no FOREIGN KEY constraints:
# PostgreSQL checks them with a trigger per row, which cost a third of ingest time. Ingest
# resolves every id inside its own transaction, and deletes remove links explicitly.


class IndicatorSourceRow(Base):
    """Which sources reported an indicator."""

    __tablename__ = "indicator_sources"
    indicator_id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IndicatorAttributeRow(Base):
    """A (name, value) fact about an indicator from one source, with first and last seen."""

    __tablename__ = "indicator_attributes"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(Id)
    source_id: Mapped[int] = mapped_column(Id)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("indicator_id", "source_id", "key_hash"),
        {"postgresql_with": {"fillfactor": 70}},
    )


class IndicatorCounterRow(Base):
    """One batch's contribution to an indicator's counter from one source (hits, say).

    The counter is the sum of the contributions; keyed by the batch (its cursor), so the
    same batch ingested again replaces its contribution instead of adding it twice.
    """

    __tablename__ = "indicator_counters"
    indicator_id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(Id, primary_key=True)
    part: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """An event, unique by its stable key."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    type: Mapped[str] = mapped_column(String(64))
    happened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    # Set when the title or description names counters or stored facts ("{hits}"): the store
    # fills them in after each ingest (see store/summaries.py).
    title_template: Mapped[str | None] = mapped_column(String(512))
    description_template: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_events_happened_at_id", "happened_at", "id"),
        Index("ix_events_type", "type"),
    )


class EventCounterRow(Base):
    """One batch's contribution to an event counter; the counter is the sum of contributions.

    Keyed by the batch (its cursor), so ingesting the same batch again replaces its
    contribution instead of adding it twice.
    """

    __tablename__ = "event_counters"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class EventSourceRow(Base):
    """Which sources reported an event."""

    __tablename__ = "event_sources"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EventAttributeRow(Base):
    """A (name, value) fact about an event from one source."""

    __tablename__ = "event_attributes"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("event_id", "source_id", "key_hash"),)


class EventIndicatorRow(Base):
    """A relation between an event and an indicator."""

    __tablename__ = "event_indicators"
    event_id: Mapped[int] = mapped_column(Id, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_event_indicators_indicator_id", "indicator_id"),)


class IndicatorRelationRow(Base):
    """An undirected relation between two indicators, stored with ``a_id < b_id``."""

    __tablename__ = "indicator_relations"
    a_id: Mapped[int] = mapped_column(Id, primary_key=True)
    b_id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_indicator_relations_b_id", "b_id"),)


class EventRelationRow(Base):
    """An undirected relation between two events, stored with ``a_id < b_id``."""

    __tablename__ = "event_relations"
    a_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_event_relations_b_id", "b_id"),)


class WhitelistRuleRow(Base):
    """A rule that whitelists matching indicators at ingest: a wildcard or a CIDR block."""

    __tablename__ = "whitelist_rules"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    pattern: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("type", "pattern"),)


def table(model: type[Base]) -> Table:
    """The Core table behind an ORM class, typed as the Table it is."""
    return cast(Table, model.__table__)


class IntegrationConfigRow(Base):
    """An installed integration's settings (secrets encrypted), switch and committed cursor."""

    __tablename__ = "integration_configs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # JSON of the settings a user chose; secret fields hold Fernet tokens, never plaintext.
    settings: Mapped[str] = mapped_column(Text, default="{}")
    # Where the next run fetches from; written in the same transaction as the data it covers.
    cursor: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IntegrationLeaseRow(Base):
    """Which process may run an integration now, and until when unless it renews."""

    __tablename__ = "integration_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IntegrationRunRow(Base):
    """One run of an integration: its entry in the activity log."""

    __tablename__ = "integration_runs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    holder: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The cursor the run's unit of work began at: a run that continues an unfinished one
    # inherits it, so the events it keys from it are continued rather than opened twice.
    origin_cursor: Mapped[str | None] = mapped_column(Text)
    start_cursor: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[str | None] = mapped_column(Text)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    records_fetched: Mapped[int] = mapped_column(BigInteger, default=0)
    records_matched: Mapped[int] = mapped_column(BigInteger, default=0)
    records_malformed: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_created: Mapped[int] = mapped_column(BigInteger, default=0)
    objects_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    # JSON: created/updated/unchanged per kind of object, and the errors with their samples.
    ingested: Mapped[str] = mapped_column(Text, default="{}")
    errors: Mapped[str] = mapped_column(Text, default="[]")

    __table_args__ = (Index("ix_integration_runs_integration_id", "integration", "id"),)


class UserRow(Base):
    """A person who signs in with a name and a password (stored only as an argon2 hash)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiClientRow(Base):
    """A program that authenticates with a client id and secret (stored only as a hash)."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TokenRow(Base):
    """An issued bearer or refresh token, kept only as its SHA-256 digest."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    principal_kind: Mapped[str] = mapped_column(String(8))
    principal_id: Mapped[int] = mapped_column(Id)
    # The refresh token an access token was issued with: revoking it revokes them too.
    parent_id: Mapped[int | None] = mapped_column(Id)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_tokens_parent_id", "parent_id"),)


class AuditRow(Base):
    """One change: who made it, what it touched, the state before and after, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(255))
    # JSON snapshots; secrets appear masked, never in plaintext.
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


class NotificationRuleRow(Base):
    """A rule that sends a notification on a new event or a run that fails or ends partial."""

    __tablename__ = "notification_rules"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    trigger: Mapped[str] = mapped_column(String(32))
    # Optional filters: only this integration's runs and events, only this event type.
    integration: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    # A webhook's URL, or an email's recipients separated by commas.
    target: Mapped[str] = mapped_column(Text)
    # JSON of the channel's other settings (SMTP host, port, sender, ...); never a secret.
    settings: Mapped[str] = mapped_column(Text, default="{}")
    # A Fernet token: the webhook's signing secret or the SMTP password; never plaintext.
    secret: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotificationDeliveryRow(Base):
    """One notification sent (or tried) under a rule: its attempts and how the last one ended."""

    __tablename__ = "notification_deliveries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("notification_rules.id", ondelete="CASCADE"))
    # event.created, run.failed, run.partial or test; with the event or run it is about.
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # One delivery per rule and subject: a subject seen again is never notified twice.
    __table_args__ = (
        UniqueConstraint("rule_id", "kind", "subject_id"),
        Index("ix_notification_deliveries_created_at", "created_at"),
    )
