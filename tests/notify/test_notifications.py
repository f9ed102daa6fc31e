"""Notifications reach real receivers: signed webhooks with retries, email over SMTP, run hooks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tipwire.config import Settings
from tipwire.errors import InvalidValueError
from tipwire.exchange.configs import ConfigStore
from tipwire.exchange.registry import Registry
from tipwire.exchange.runner import Runner
from tipwire.exchange.runs import RunStatus
from tipwire.model import EventType
from tipwire.notify import webhook
from tipwire.notify.dispatch import Notifier
from tipwire.notify.email import SmtpSettings
from tipwire.notify.retry import Attempt, Backoff, with_backoff
from tipwire.notify.rules import Channel, Rule, Trigger
from tipwire.store import notifications
from tipwire.store.schema import NotificationRuleRow, table

from .conftest import Mailbox, Receiver

sys.path.insert(0, str(Path(__file__).parents[1] / "plugins" / "example_plugin" / "src"))
from tipwire_example.synthetic import SyntheticIntegration

SECRET = "s3cret-signing-key"
SYNTHETIC = "example-synthetic"


def hook(url: str, trigger: Trigger = Trigger.NEW_EVENT, **extra: Any) -> Rule:
    return Rule("siem", trigger, Channel.WEBHOOK, url, secret=SECRET, **extra)


def deliveries(engine: Engine) -> list[notifications.DeliveryView]:
    with engine.connect() as connection:
        return notifications.list_deliveries(connection)


def run_synthetic(engine: Engine, settings: Settings, **values: Any) -> Any:
    registry = Registry.of(SyntheticIntegration)
    configs = ConfigStore(engine, registry, settings)
    configs.configure(SYNTHETIC, {"total": 6, "batch_size": 3, **values})
    configs.set_enabled(SYNTHETIC, True)
    return Runner(engine, registry, settings).run(SYNTHETIC)


def test_webhook_body_is_signed_with_the_rule_secret(
    notifier: Notifier, receiver: Receiver, engine: Engine
) -> None:
    notifier.add_rule(hook(receiver.url))
    outcome = notifier.test("siem")
    assert outcome.ok
    (request,) = receiver.requests
    signature = request.headers[webhook.SIGNATURE_HEADER]
    assert webhook.verify(SECRET, request.body, signature)
    assert not webhook.verify("another secret", request.body, signature)
    payload = json.loads(request.body)
    assert payload["kind"] == "test"
    assert request.headers[webhook.DELIVERY_HEADER] == str(payload["delivery_id"])
    assert request.headers["Content-Type"] == "application/json"


def test_secret_is_stored_encrypted(notifier: Notifier, receiver: Receiver, engine: Engine) -> None:
    notifier.add_rule(hook(receiver.url))
    with engine.connect() as connection:
        stored = connection.execute(select(table(NotificationRuleRow).c.secret)).scalar_one()
    assert SECRET not in stored
    assert notifier.rules()[0].secret == SECRET


def test_failing_receiver_is_retried_and_every_attempt_logged(
    notifier: Notifier, receiver: Receiver, engine: Engine
) -> None:
    receiver.answers = [503, 500]
    notifier.add_rule(hook(receiver.url))
    outcome = notifier.test("siem")
    assert outcome.ok
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1  # the same signed body each time
    (logged,) = deliveries(engine)
    assert (logged.status, logged.attempts, logged.status_code) == ("delivered", 3, 200)


def test_receiver_that_never_recovers_is_logged_as_failed(
    notifier: Notifier, receiver: Receiver, engine: Engine
) -> None:
    receiver.answers = [502, 502, 502]
    notifier.add_rule(hook(receiver.url))
    assert not notifier.test("siem").ok
    (logged,) = deliveries(engine)
    assert (logged.status, logged.attempts, logged.status_code) == ("failed", 3, 502)
    assert logged.error == "HTTP 502"


def test_client_error_is_not_retried(
    notifier: Notifier, receiver: Receiver, engine: Engine
) -> None:
    receiver.answers = [401]
    notifier.add_rule(hook(receiver.url))
    assert not notifier.test("siem").ok
    assert len(receiver.requests) == 1
    assert deliveries(engine)[0].status_code == 401


def test_email_reaches_a_real_smtp_server(
    notifier: Notifier, smtp_server: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp_server
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="tipwire@example.org")
    notifier.add_rule(
        Rule(
            "soc",
            Trigger.NEW_EVENT,
            Channel.EMAIL,
            "soc@example.org, Oncall@Example.org",
            settings=smtp.as_dict(),
        )
    )
    assert notifier.test("soc").ok
    ((sender, recipients, mail),) = mailbox.messages
    assert sender == "tipwire@example.org"
    assert recipients == ["soc@example.org", "oncall@example.org"]
    assert mail["Subject"] == "[TipWire] Test notification for rule soc"


def test_new_events_of_a_run_are_notified_once(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    Notifier(engine, settings).add_rule(hook(receiver.url, integration=SYNTHETIC))
    outcome = run_synthetic(engine, settings)
    assert outcome.status is RunStatus.SUCCESS
    payloads = [json.loads(r.body) for r in receiver.requests]
    assert {p["kind"] for p in payloads} == {"event.created"}
    assert sorted(p["event"]["title"] for p in payloads) == [
        "Synthetic hits from 198.51.100.0/24",
        "Synthetic hits from 2001:db8:1000::/36",
    ]
    assert all(p["integration"] == SYNTHETIC and p["run_id"] == outcome.run_id for p in payloads)
    # Announcing the same run again sends nothing: each event is notified once per rule.
    Notifier(engine, settings).after_run(SYNTHETIC, outcome.run_id, "success", outcome.event_keys)
    assert len(receiver.requests) == 2
    # The next run keys its events from where it started, so it opens (and announces) a new one.
    later = run_synthetic(engine, settings, total=9)
    assert len(receiver.requests) == 3
    assert json.loads(receiver.requests[-1].body)["run_id"] == later.run_id


def test_event_rules_filter_by_type_and_integration(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    notifier = Notifier(engine, settings)
    notifier.add_rule(hook(receiver.url, event_type=EventType.LOGIN_COMPROMISE))
    notifier.add_rule(
        Rule(
            "other", Trigger.NEW_EVENT, Channel.WEBHOOK, receiver.url, integration="ctac-keylogger"
        )
    )
    run_synthetic(engine, settings)
    assert receiver.requests == []


def test_failed_run_fires_the_failure_rule(
    engine: Engine, settings: Settings, receiver: Receiver, smtp_server: tuple[int, Mailbox]
) -> None:
    port, mailbox = smtp_server
    notifier = Notifier(engine, settings)
    notifier.add_rule(hook(receiver.url, trigger=Trigger.RUN_FAILURE))
    notifier.add_rule(
        Rule(
            "oncall",
            Trigger.RUN_FAILURE,
            Channel.EMAIL,
            "oncall@example.org",
            integration=SYNTHETIC,
            settings=SmtpSettings(host="127.0.0.1", port=port).as_dict(),
        )
    )
    outcome = run_synthetic(engine, settings, fail_after_batches=1)
    assert outcome.status is RunStatus.FAILED
    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert payload["kind"] == "run.failed"
    assert payload["run"]["id"] == outcome.run_id
    assert "synthetic failure after 1 batches" in payload["run"]["errors"][-1]["message"]
    ((_, _, mail),) = mailbox.messages
    assert mail["Subject"] == f"[TipWire] Run {outcome.run_id} of {SYNTHETIC} ended failed"


def test_partial_run_fires_the_failure_rule_but_success_does_not(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    Notifier(engine, settings).add_rule(hook(receiver.url, trigger=Trigger.RUN_FAILURE))
    assert run_synthetic(engine, settings).status is RunStatus.SUCCESS
    assert receiver.requests == []
    outcome = run_synthetic(engine, settings, total=12, malformed_every=4)
    assert outcome.status is RunStatus.PARTIAL
    (request,) = receiver.requests
    assert json.loads(request.body)["kind"] == "run.partial"


def test_unreachable_receiver_never_fails_the_run(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key=None, notify_attempts=2, notify_backoff_seconds=0.01
    )
    notifier = Notifier(engine, settings)
    notifier.add_rule(hook("http://127.0.0.1:9/nothing-listens-here", trigger=Trigger.RUN_FAILURE))
    notifier.add_rule(
        Rule(
            "events",
            Trigger.NEW_EVENT,
            Channel.EMAIL,
            "a@example.org",
            settings=SmtpSettings(host="127.0.0.1", port=9).as_dict(),
        )
    )
    result = run_synthetic(engine, settings, total=3, malformed_every=3)
    assert result.status is RunStatus.PARTIAL
    logged = deliveries(engine)
    assert {(d.kind, d.status, d.attempts) for d in logged} == {
        ("run.partial", "failed", 2),
        ("event.created", "failed", 2),
    }


def test_rules_refuse_bad_input() -> None:
    with pytest.raises(InvalidValueError, match="url"):
        hook("ftp://example.org/x")
    with pytest.raises(InvalidValueError, match="to"):
        Rule("mail", Trigger.NEW_EVENT, Channel.EMAIL, "not an address")
    with pytest.raises(InvalidValueError, match="event type"):
        hook("http://x.example", trigger=Trigger.RUN_FAILURE, event_type=EventType.MALWARE)
    with pytest.raises(InvalidValueError, match="trigger"):
        Trigger.parse("sometimes")


def test_rule_names_are_unique(notifier: Notifier, receiver: Receiver) -> None:
    notifier.add_rule(hook(receiver.url))
    with pytest.raises(InvalidValueError, match="already"):
        notifier.add_rule(hook(receiver.url))


def test_backoff_waits_grow_exponentially() -> None:
    waits: list[float] = []
    backoff = Backoff(attempts=4, first=1.0, factor=2.0, sleep=waits.append)
    outcome = with_backoff(lambda: Attempt(ok=False, error="down"), backoff)
    assert waits == [1.0, 2.0, 4.0]
    assert (outcome.ok, outcome.attempts) == (False, 4)


def test_the_documented_signature_check_accepts_a_real_delivery(
    notifier: Notifier, receiver: Receiver
) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "notifications.md").read_text()
    section = doc.split("## A SIEM subscribing to webhooks", 1)[1]
    snippet = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "notifications.md", "exec"), namespace)  # noqa: S102
    notifier.add_rule(hook(receiver.url))
    notifier.test("siem")
    (request,) = receiver.requests
    check = namespace["is_from_tipwire"]
    assert check(SECRET, request.body, request.headers[webhook.SIGNATURE_HEADER])
    assert not check(SECRET, request.body + b" ", request.headers[webhook.SIGNATURE_HEADER])
