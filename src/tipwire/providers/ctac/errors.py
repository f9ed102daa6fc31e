"""Errors the CTAC client raises; each message says what failed and what to check."""

from __future__ import annotations

from tipwire.errors import TipwireError


class CtacError(TipwireError):
    """Base of every error raised while talking to the CTAC API."""


class CtacAuthError(CtacError):
    """CTAC refused the API key (HTTP 401 or 403); retrying cannot help."""


class CtacRequestError(CtacError):
    """CTAC rejected a request as invalid (a 4xx other than 401, 403 and 429)."""

    def __init__(self, message: str, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(message)

    def __reduce__(self) -> tuple[type[CtacRequestError], tuple[str, int]]:
        """Pickle with both arguments, so the error crosses into the run from a worker."""
        return type(self), (str(self), self.status_code)


class CtacUnavailableError(CtacError):
    """CTAC kept failing (5xx, 429, timeouts, refused connections) past the retry budget."""

    def __init__(self, message: str, attempts: int, elapsed: float) -> None:
        self.attempts = attempts
        self.elapsed = elapsed
        super().__init__(message)

    def __reduce__(self) -> tuple[type[CtacUnavailableError], tuple[str, int, float]]:
        """Pickle with every argument, so the error crosses into the run from a worker."""
        return type(self), (str(self), self.attempts, self.elapsed)


class CtacTlsError(CtacError):
    """CTAC's TLS certificate failed verification; retrying cannot help."""


class CtacProtocolError(CtacError):
    """CTAC answered with something that is not the documented API (bad envelope, lost lines)."""
