"""Errors raised by TipWire; each names what was wrong so a user can fix it."""


class TipwireError(Exception):
    """Base of every error TipWire raises on purpose."""


class InvalidValueError(TipwireError, ValueError):
    """A value does not fit its type: the message names the type (or field) and the value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {value!r} {reason}")


class BatchRejectedError(TipwireError):
    """An ingest batch was refused whole; nothing of it was stored."""


class NotFoundError(TipwireError, LookupError):
    """A requested object does not exist."""


class ConfigurationError(TipwireError):
    """TipWire or an integration is configured wrongly."""
