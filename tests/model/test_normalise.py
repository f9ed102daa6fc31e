"""Indicator types validate and normalise their values."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipwire.errors import InvalidValueError
from tipwire.model import EventType, Indicator, IndicatorType, Status, Tlp
from tipwire.model.normalise import refang


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("IP Address", " 203.0.113.7 ", "203.0.113.7"),
        ("IP Address", "203.0.113[.]7", "203.0.113.7"),
        ("IPv6 Address", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("IPv6 Address", "[2001:db8::1]", "2001:db8::1"),
        ("CIDR Block", "10.1.2.3/8", "10.0.0.0/8"),
        ("CIDR Block", "2001:DB8:1000::/36", "2001:db8:1000::/36"),
        ("FQDN", "Evil.Example.COM.", "evil.example.com"),
        ("FQDN", "evil[.]example[.]com", "evil.example.com"),
        ("FQDN", "Bücher.example", "xn--bcher-kva.example"),
        ("URL", "hxxp://Evil[.]Example.COM/gate.php", "http://evil.example.com/gate.php"),
        ("URL", "hxxps[:]//evil[.]com[/]a?b=C", "https://evil.com/a?b=C"),
        ("URL", "HTTP://EVIL.com:80", "http://evil.com/"),
        ("URL", "https://evil.com:8443/X", "https://evil.com:8443/X"),
        ("URL", "evil.com/Path", "http://evil.com/Path"),
        ("URL", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("URL", "http://bücher.example/", "http://xn--bcher-kva.example/"),
        ("Email Address", "Bob@Example.ORG", "bob@example.org"),
        ("Email Address", "bob[@]example[.]org", "bob@example.org"),
        ("Email Address", "anna@Bücher.example", "anna@xn--bcher-kva.example"),
        (
            "User-agent",
            "  Mozilla/4.0 (compatible; MSIE 6.0)  ",
            "Mozilla/4.0 (compatible; MSIE 6.0)",
        ),
        ("MD5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        (
            "SHA-1",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        ("ASN", "as13335", "AS13335"),
        ("ASN", "13335", "AS13335"),
        ("Username", " jdoe ", "jdoe"),
        ("Filename", "invoice.pdf.exe", "invoice.pdf.exe"),
        ("String", "free text", "free text"),
    ],
)
def test_value_is_normalised(type_name: str, raw: str, expected: str) -> None:
    assert Indicator(IndicatorType.parse(type_name), raw).value == expected


@pytest.mark.parametrize(
    ("type_name", "raw", "message"),
    [
        ("Email Address", "bob@@x", "Email Address: 'bob@@x' is not a valid email address"),
        ("Email Address", "no-at-sign", "Email Address: 'no-at-sign' is not a valid email address"),
        ("IP Address", "203.0.113.256", "IP Address: '203.0.113.256' is not a valid IPv4 address"),
        ("IP Address", "2001:db8::1", "IP Address: '2001:db8::1' is not a valid IPv4 address"),
        ("IPv6 Address", "2001:db8::g", "IPv6 Address: '2001:db8::g' is not a valid IPv6 address"),
        ("CIDR Block", "10.0.0.0/33", "CIDR Block: '10.0.0.0/33' is not a valid CIDR block"),
        ("FQDN", "-bad-.com", "FQDN: '-bad-.com' is not a valid domain name"),
        ("FQDN", "exa mple.com", "FQDN: 'exa mple.com' is not a valid domain name"),
        ("FQDN", "localhost", "FQDN: 'localhost' is not a valid domain name"),
        ("URL", "http://", "URL: 'http://' is not a valid URL (no host)"),
        (
            "URL",
            "http://exa mple.com/",
            "URL: 'http://exa mple.com/' is not a valid URL (contains whitespace)",
        ),
        ("MD5", "abc", "MD5: 'abc' is not a valid MD5 hash"),
        ("ASN", "AS-1", "ASN: 'AS-1' is not a valid AS number"),
        ("User-agent", "   ", "User-agent: '   ' is empty"),
        ("User-agent", "a\nb", "User-agent: 'a\\nb' must be a single line"),
    ],
)
def test_invalid_value_names_type_and_value(type_name: str, raw: str, message: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Indicator(IndicatorType.parse(type_name), raw)
    assert str(caught.value) == message


def test_unknown_type_names_the_type() -> None:
    with pytest.raises(InvalidValueError, match="'Hostname' is not an indicator type"):
        IndicatorType.parse("Hostname")


def test_names_parse_case_insensitively() -> None:
    assert IndicatorType.parse("ip address") is IndicatorType.IP_ADDRESS
    assert Status.parse("whitelisted") is Status.WHITELISTED
    assert EventType.parse("command and control") is EventType.COMMAND_AND_CONTROL
    assert Tlp.parse("white") is Tlp.CLEAR


def test_statuses_carry_threatq_codes_and_whitelisted_is_protected() -> None:
    assert {s.value: s.code for s in Status} == {
        "Active": 1,
        "Expired": 2,
        "Indirect": 3,
        "Review": 4,
        "Whitelisted": 5,
    }
    assert [s for s in Status if s.protected] == [Status.WHITELISTED]


def test_fourteen_event_types() -> None:
    assert len(EventType) == 14
    assert "Login Compromise" in {t.value for t in EventType}


def test_refang_leaves_plain_text_alone() -> None:
    assert refang("http://example.com/a[1]") == "http://example.com/a[1]"


@given(st.ip_addresses(v=4))
def test_ipv4_normalisation_is_idempotent(address: ipaddress.IPv4Address) -> None:
    once = IndicatorType.IP_ADDRESS.normalise(str(address))
    assert IndicatorType.IP_ADDRESS.normalise(once) == once == str(address)


@given(st.ip_addresses(v=6))
def test_ipv6_normalisation_is_compressed_and_idempotent(address: ipaddress.IPv6Address) -> None:
    once = IndicatorType.IPV6_ADDRESS.normalise(address.exploded.upper())
    assert once == address.compressed
    assert IndicatorType.IPV6_ADDRESS.normalise(once) == once


@given(st.emails())
def test_email_normalisation_is_idempotent(address: str) -> None:
    try:
        once = IndicatorType.EMAIL_ADDRESS.normalise(address)
    except InvalidValueError:
        return  # hypothesis produces some addresses TipWire refuses; refusing is fine
    assert once == once.lower()
    assert IndicatorType.EMAIL_ADDRESS.normalise(once) == once


@given(st.from_regex(r"[a-zA-Z0-9]{1,20}(\.[a-zA-Z0-9]{1,20}){1,3}\.[a-zA-Z]{2,6}", fullmatch=True))
def test_domain_normalisation_is_lower_case_and_idempotent(name: str) -> None:
    once = IndicatorType.FQDN.normalise(name)
    assert once == name.lower()
    assert IndicatorType.URL.normalise(f"HTTP://{name}/P") == f"http://{once}/P"


def test_a_value_normalised_again_gives_the_same_answer_and_a_bad_one_fails_again() -> None:
    # Answers are remembered; refusals are not, so each bad value is reported every time.
    first = IndicatorType.URL.normalise("HTTP://Evil.Example:80/gate.php")
    assert IndicatorType.URL.normalise("HTTP://Evil.Example:80/gate.php") == first
    assert first == "http://evil.example/gate.php"
    for _ in range(2):
        with pytest.raises(InvalidValueError, match="not a valid URL"):
            IndicatorType.URL.normalise("http://")
    with pytest.raises(InvalidValueError):
        IndicatorType.URL.normalise(42)  # type: ignore[arg-type]  # not text: never remembered
