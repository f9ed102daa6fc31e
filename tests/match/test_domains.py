"""DomainSet: matching pages of email addresses to monitored domains, against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipwire.errors import InvalidValueError
from tipwire.match import DomainSet
from tipwire.model.normalise import domain as normalise_domain

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_match(
    domains: Sequence[str], emails: Sequence[object], include_subdomains: bool
) -> tuple[list[str | None], list[int]]:
    """Naive: compare each email's domain with every monitored domain; the longest wins."""
    monitored = [normalise_domain(name) for name in domains]
    found: list[str | None] = []
    invalid: list[int] = []
    for position, email in enumerate(emails):
        host = None
        if isinstance(email, str) and "@" in email:
            local, _, host = email.rpartition("@")
            host = host.rstrip(" \t\r\n\x0b\x0c.")
            if not local or not host:
                host = None
            elif host.isascii():
                host = host.lower()
            else:
                try:
                    host = normalise_domain(host)
                except InvalidValueError:
                    host = None
        if host is None:
            invalid.append(position)
            found.append(None)
            continue
        holding = [
            name
            for name in monitored
            if host == name or (include_subdomains and host.endswith("." + name))
        ]
        found.append(max(holding, key=len, default=None))
    return found, invalid


def assert_matches_reference(
    domains: Sequence[str], emails: Sequence[object], include_subdomains: bool = True
) -> None:
    """DomainSet gives the reference's domain for every email, and the same invalid ones."""
    monitored = DomainSet.from_strings(domains, include_subdomains=include_subdomains)
    result = monitored.match(emails)  # type: ignore[arg-type]
    expected, invalid = reference_match(domains, emails, include_subdomains)
    assert [result.domain(i) for i in range(len(emails))] == expected
    assert result.invalid.tolist() == invalid


# Few labels, so that generated domains and email domains often share suffixes.
LABELS = ["example", "mail", "a", "b-c", "co", "com", "xn--bcher-kva", "bücher", "straße"]
FULLWIDTH_EXAMPLE = "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45"  # UTS 46 maps it to "example"
EMAIL_LABELS = [*LABELS, "EXAMPLE", "Mail", "BÜCHER", FULLWIDTH_EXAMPLE, "xample", "le", ""]


def domain_names() -> st.SearchStrategy[str]:
    """A valid domain name of two to four labels."""
    return st.lists(st.sampled_from(LABELS), min_size=2, max_size=4).map(".".join)


@st.composite
def emails(draw: st.DrawFn) -> object:
    """An email address whose domain is built from the same labels, or a malformed one."""
    kind = draw(st.sampled_from(["email", "email", "email", "odd"]))
    if kind == "odd":
        return draw(
            st.sampled_from(
                [
                    None,
                    3,
                    b"x@example.com",
                    "",
                    "@",
                    "bob",
                    "bob@",
                    "@example.com",
                    "a@b@example.com",
                    "x@ ",
                    "x@.",
                ]
            )
        )
    host = ".".join(draw(st.lists(st.sampled_from(EMAIL_LABELS), min_size=1, max_size=5)))
    local = draw(st.sampled_from(["bob", "first.last", "x+tag", "ÿ"]))
    end = draw(st.sampled_from(["", "", ".", " ", "\r\n"]))
    return f"{local}@{host}{end}"


@PROPERTY
@given(st.lists(domain_names(), max_size=8), st.lists(emails(), max_size=30), st.booleans())
def test_matches_naive_suffix_search(
    domains: list[str], page: list[object], include_subdomains: bool
) -> None:
    assert_matches_reference(domains, page, include_subdomains)


def test_idn_email_matches_punycode_domain() -> None:
    monitored = DomainSet.from_strings(["bücher.example"])
    assert monitored.domains == ("xn--bcher-kva.example",)
    result = monitored.match(
        ["Bob@BÜCHER.example", "bob@xn--BCHER-kva.example", "bob@bucher.example"]
    )
    assert [result.domain(i) for i in range(3)] == ["xn--bcher-kva.example"] * 2 + [None]


def test_subdomains_match_only_when_included() -> None:
    page = ["a@example.com", "a@mail.example.com", "a@deep.mail.example.com"]
    with_subdomains = DomainSet.from_strings(["example.com"]).match(page)
    exact = DomainSet.from_strings(["example.com"], include_subdomains=False).match(page)
    assert with_subdomains.index.tolist() == [0, 0, 0]
    assert exact.index.tolist() == [0, -1, -1]


def test_most_specific_domain_wins() -> None:
    monitored = DomainSet.from_strings(["example.com", "mail.example.com"])
    result = monitored.match(["a@example.com", "a@mail.example.com", "a@x.mail.example.com"])
    expected = ["example.com", "mail.example.com", "mail.example.com"]
    assert [result.domain(i) for i in range(3)] == expected


def test_domain_that_merely_ends_in_the_same_letters_does_not_match() -> None:
    monitored = DomainSet.from_strings(["example.com"])
    result = monitored.match(["a@notexample.com", "a@example.com.evil.net"])
    assert result.index.tolist() == [-1, -1]


def test_case_whitespace_and_a_trailing_dot_are_ignored() -> None:
    monitored = DomainSet.from_strings(["Example.COM."])
    page = ["Bob@EXAMPLE.com", "bob@example.com ", "bob@example.com.", "bob@example.com\r\n"]
    assert monitored.match(page).index.tolist() == [0, 0, 0, 0]


def test_malformed_emails_are_reported_and_match_nothing() -> None:
    monitored = DomainSet.from_strings(["example.com"])
    not_idna = "bob@exa\u00admple\u200b.com!"
    page = ["ok@example.com", "example.com", "@example.com", "bob@", "bob@ . ", None, not_idna]
    result = monitored.match(page)  # type: ignore[arg-type]
    assert result.invalid.tolist() == [1, 2, 3, 4, 5, 6]
    assert result.index.tolist() == [0, -1, -1, -1, -1, -1, -1]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("exa mple.com", "is not a valid domain name (item 2)"),
        ("-bad-.com", "is not a valid domain name (item 2)"),
        ("bob@example.com", "is an email address, not a domain (item 2)"),
        ("localhost", "is not a valid domain name (item 2)"),
    ],
)
def test_invalid_domain_is_named_with_its_position(value: str, reason: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        DomainSet.from_strings(["example.org", value])
    assert str(raised.value) == f"email_domains: {value!r} {reason}"


def test_duplicate_domains_are_kept_once() -> None:
    monitored = DomainSet.from_strings(["BÜCHER.example", "xn--bcher-kva.example", "example.org"])
    assert monitored.domains == ("xn--bcher-kva.example", "example.org")
    assert len(monitored) == 2


def test_empty_set_and_empty_page() -> None:
    assert DomainSet.from_strings([]).match(["a@example.com", "nope"]).invalid.tolist() == [1]
    assert len(DomainSet.from_strings(["example.com"]).match([])) == 0


def test_hits_name_each_matched_position_and_domain() -> None:
    monitored = DomainSet.from_strings(["example.com"])
    assert list(monitored.match(["x@y.org", "x@mail.example.com"]).hits()) == [(1, "example.com")]
    assert monitored.domain_of("someone@Example.com") == "example.com"
