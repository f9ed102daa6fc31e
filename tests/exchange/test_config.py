"""Settings validation: comma lists, bad CIDR blocks and domains named, secrets never echoed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tipwire.errors import ConfigurationError
from tipwire.exchange.config import IntegrationConfig, secret_fields, validate_settings
from tipwire.integrations.ctac_keylogger import CtacKeyloggerConfig
from tipwire.integrations.ctac_sinkhole import CtacSinkholeConfig
from tipwire.model import EventType, Status

SINKHOLE = {"api_url": "https://ctac.example/", "api_key": "k-123456"}


def sinkhole(**values: object) -> CtacSinkholeConfig:
    config = validate_settings("ctac-sinkhole", CtacSinkholeConfig, SINKHOLE | values)
    assert isinstance(config, CtacSinkholeConfig)
    return config


def problem(model: type[IntegrationConfig], values: dict[str, object]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        validate_settings("it", model, values)
    return str(caught.value)


def test_comma_separated_blocks_become_a_list_of_ipv4_and_ipv6_blocks() -> None:
    config = sinkhole(cidr_blocks="198.51.100.0/24, 2001:db8:1000::/36,,")
    assert config.cidr_blocks == ["198.51.100.0/24", "2001:db8:1000::/36"]
    assert sinkhole(cidr_blocks=["203.0.113.0/24"]).cidr_blocks == ["203.0.113.0/24"]


def test_a_bad_block_is_named_with_its_position() -> None:
    message = problem(CtacSinkholeConfig, SINKHOLE | {"cidr_blocks": "10.0.0.0/8,10.0.0.0/33"})
    assert "cidr_blocks: '10.0.0.0/33' is not a valid CIDR block (item 2)" in message


def test_every_bad_field_is_reported_at_once() -> None:
    message = problem(
        CtacSinkholeConfig,
        {"api_url": "ftp://x", "cidr_blocks": "", "url_status": "Nope", "schedule": "* *"},
    )
    assert "api_url: 'ftp://x' is not an http:// or https:// URL" in message
    assert "api_key: is required" in message
    assert "cidr_blocks:" in message
    assert "url_status: 'Nope' is not a status" in message
    assert "schedule: '* *' is not a cron schedule" in message


def test_defaults_match_the_brief() -> None:
    config = sinkhole(cidr_blocks="198.51.100.0/24")
    assert config.event_type is EventType.COMMAND_AND_CONTROL
    assert (config.host_ip_status, config.url_status) == (Status.REVIEW, Status.ACTIVE)
    assert (config.fqdn_status, config.user_agent_status) == (Status.ACTIVE, Status.REVIEW)
    assert config.api_url == "https://ctac.example"
    assert config.schedule is None  # the integration's own */15 applies


def test_statuses_and_event_types_are_named_case_insensitively() -> None:
    config = sinkhole(cidr_blocks="198.51.100.0/24", url_status="review", event_type="malware")
    assert config.url_status is Status.REVIEW
    assert config.event_type is EventType.MALWARE


def test_domains_are_normalised_to_punycode_and_bad_ones_named() -> None:
    values = {
        "api_url": "http://h",
        "api_key": "k-123456",
        "domains": "Example.COM, bücher.example",
    }
    config = validate_settings("ctac-keylogger", CtacKeyloggerConfig, values)
    assert isinstance(config, CtacKeyloggerConfig)
    assert config.domains == ["example.com", "xn--bcher-kva.example"]
    assert (config.include_subdomains, config.email_status) == (True, Status.WHITELISTED)
    message = problem(CtacKeyloggerConfig, values | {"domains": "example.com,bob@example.org"})
    assert "domains: 'bob@example.org' is an email address, not a domain (item 2)" in message


def test_unknown_settings_are_refused_with_the_known_ones() -> None:
    message = problem(CtacSinkholeConfig, SINKHOLE | {"cidr_block": "10.0.0.0/8"})
    assert "has no setting cidr_block" in message
    assert "cidr_blocks" in message


def test_secret_fields_are_the_secretstr_ones_and_never_echoed() -> None:
    assert secret_fields(CtacSinkholeConfig) == {"api_key"}
    message = problem(CtacSinkholeConfig, SINKHOLE | {"api_key": ["S3cret-In-A-List"]})
    assert "api_key:" in message
    assert "S3cret-In-A-List" not in message
    assert "S3cret" not in repr(sinkhole(cidr_blocks="10.0.0.0/8", api_key=SecretStr("S3cret")))
