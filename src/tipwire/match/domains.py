"""DomainSet: which monitored email domain, if any, each email address of a page belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from tipwire.errors import InvalidValueError
from tipwire.match.result import PageMatch
from tipwire.model.normalise import domain as normalise_domain

# Trimmed from the end of an email's domain: whitespace, and the dot of a rooted name.
_TRAILING = " \t\r\n\x0b\x0c."


class DomainMatch(PageMatch):
    """Which monitored domain, if any, each email address of a page belongs to."""

    __slots__ = ()

    def domain(self, position: int) -> str | None:
        """Return the monitored domain of the email at ``position``, or None."""
        return self.key(position)


class DomainSet:
    """Monitored email domains, matched a whole page of email addresses at a time.

    An email matches the most specific monitored domain that its domain equals or, with
    ``include_subdomains``, ends in (``mail.example.com`` is in ``example.com``).
    Matching ignores case and understands IDN: ``bob@BÜCHER.example`` is in
    ``xn--bcher-kva.example``.
    """

    __slots__ = ("_domains", "_include_subdomains", "_index")

    def __init__(
        self,
        domains: Iterable[str],
        *,
        include_subdomains: bool = True,
        field: str = "email_domains",
    ) -> None:
        normalised = (_normalise(text, position, field) for position, text in enumerate(domains, 1))
        self._domains = tuple(dict.fromkeys(normalised))
        self._index = {name: index for index, name in enumerate(self._domains)}
        self._include_subdomains = include_subdomains

    @classmethod
    def from_strings(
        cls,
        domains: Iterable[str],
        *,
        include_subdomains: bool = True,
        field: str = "email_domains",
    ) -> DomainSet:
        """Build from domain names (IDN or punycode, any case); ``field`` names them in errors."""
        return cls(domains, include_subdomains=include_subdomains, field=field)

    def __len__(self) -> int:
        """Return the number of distinct domains."""
        return len(self._domains)

    def __repr__(self) -> str:
        """Show how many domains the set holds and whether subdomains count."""
        subdomains = self._include_subdomains
        return f"DomainSet({len(self._domains)} domains, include_subdomains={subdomains})"

    @property
    def domains(self) -> tuple[str, ...]:
        """The distinct domains, lower-case punycode, in the order first given."""
        return self._domains

    @property
    def include_subdomains(self) -> bool:
        """Whether an email at a subdomain of a monitored domain matches it."""
        return self._include_subdomains

    def match(self, emails: Sequence[str]) -> DomainMatch:
        """Match a page of email addresses; malformed ones match nothing and are listed."""
        index = np.full(len(emails), -1, dtype=np.intp)
        try:
            invalid = self._match_into(emails, index)
        except (AttributeError, TypeError):  # an item is not a string: such items are invalid
            texts = [email if isinstance(email, str) else "" for email in emails]
            invalid = self._match_into(texts, index)
        return DomainMatch(
            index=index, invalid=np.array(invalid, dtype=np.intp), keys=self._domains
        )

    def domain_of(self, email: str) -> str | None:
        """Return the monitored domain of one email address, or None."""
        return self.match([email]).domain(0)

    def _match_into(self, emails: Sequence[str], index: npt.NDArray[np.intp]) -> list[int]:
        """Write each email's domain index into ``index``; return the malformed positions."""
        find = self._index.get
        walk_up = self._include_subdomains
        invalid = []
        # The hot loop: plain string methods and dict look-ups, IDNA only for non-ASCII.
        for position, email in enumerate(emails):
            local, _, host = email.rpartition("@")
            host = host.rstrip(_TRAILING)
            if not local or not host:
                invalid.append(position)
                continue
            if host.isascii():
                host = host.lower()
            else:
                encoded = _idna_host(host)
                if encoded is None:
                    invalid.append(position)
                    continue
                host = encoded
            found = find(host)
            while found is None and walk_up:
                dot = host.find(".")
                if dot < 0:
                    break
                host = host[dot + 1 :]
                found = find(host)
            if found is not None:
                index[position] = found
        return invalid


def _normalise(text: object, position: int, field: str) -> str:
    """Normalise one configured domain, naming it and its 1-based position when invalid."""
    if isinstance(text, str) and "@" in text:
        raise InvalidValueError(field, text, f"is an email address, not a domain (item {position})")
    try:
        return normalise_domain(text, field)  # type: ignore[arg-type]  # non-strings are refused
    except InvalidValueError:
        raise InvalidValueError(
            field, text, f"is not a valid domain name (item {position})"
        ) from None


@lru_cache(maxsize=4096)  # few distinct domains recur across many addresses
def _idna_host(host: str) -> str | None:
    """Return a non-ASCII email domain as lower-case punycode, or None if it is not valid."""
    try:
        return normalise_domain(host, "email domain")
    except InvalidValueError:
        return None
