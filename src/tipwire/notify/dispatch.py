"""The notifier: finds what fires each rule, records each delivery, sends it and logs the end."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import httpx
from sqlalchemy import Engine

from tipwire.config import Settings
from tipwire.exchange.runs import list_runs
from tipwire.exchange.secrets import SecretBox
from tipwire.model import EventType
from tipwire.notify import email, payloads, webhook
from tipwire.notify.retry import Attempt, Backoff, Outcome, with_backoff
from tipwire.notify.rules import Channel, Rule, Trigger
from tipwire.store import notifications
from tipwire.store.engine import write_transaction
from tipwire.store.notifications import StoredRule

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10.0


def _now() -> datetime:
    return datetime.now(UTC)


class Notifier:
    """Sends the notifications that rules ask for; a delivery that fails is logged, not raised."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.backoff = backoff or Backoff(
            attempts=settings.notify_attempts, first=settings.notify_backoff_seconds
        )
        self.transport = transport
        self.clock = clock

    @cached_property
    def box(self) -> SecretBox:
        """The key for rule secrets, loaded only when a rule needs one."""
        return SecretBox.from_settings(self.settings)

    def add_rule(self, rule: Rule) -> int:
        """Store a rule, its secret encrypted."""
        values = {
            "name": rule.name,
            "trigger": rule.trigger.value,
            "integration": rule.integration,
            "event_type": rule.event_type.value if rule.event_type else None,
            "channel": rule.channel.value,
            "target": rule.target,
            "settings": json.dumps(rule.settings),
            "secret": self.box.encrypt(rule.secret) if rule.secret else None,
            "enabled": True,
            "created_at": self.clock(),
        }
        with write_transaction(self.engine) as connection:
            return notifications.add_rule(connection, values)

    def rules(self) -> list[Rule]:
        """The enabled rules, secrets decrypted."""
        with self.engine.connect() as connection:
            stored = notifications.list_rules(connection, enabled_only=True)
        return [self._rule(row) for row in stored]

    def _rule(self, row: StoredRule) -> Rule:
        return Rule(
            name=row.name,
            trigger=Trigger(row.trigger),
            channel=Channel(row.channel),
            target=row.target,
            integration=row.integration,
            event_type=EventType(row.event_type) if row.event_type else None,
            settings=json.loads(row.settings),
            secret=self.box.decrypt(row.secret, f"notification rule {row.name}")
            if row.secret
            else None,
        )

    def after_run(
        self, integration: str, run_id: int | None, status: str | None, event_keys: Iterable[str]
    ) -> None:
        """Notify about a finished run: its new events, and the run if it failed or was partial.

        Never raises: a notification problem is logged and must not fail the run.
        """
        if run_id is None or status is None:
            return
        try:
            self._after_run(integration, run_id, status, set(event_keys))
        except Exception:
            log.exception("run %d: notifications could not be sent", run_id)

    def _after_run(self, integration: str, run_id: int, status: str, keys: set[str]) -> None:
        with self.engine.connect() as connection:
            if not notifications.list_rules(connection, enabled_only=True):
                return  # the usual case: nothing to read, nothing to decrypt
        rules = self.rules()
        run = self._run_record(integration, run_id)
        if run is None:
            return
        if keys and any(r.trigger is Trigger.NEW_EVENT for r in rules):
            with self.engine.connect() as connection:
                started = datetime.fromisoformat(run["started_at"])
                events = notifications.events_created_since(connection, keys, started)
            for event in events:
                payload = payloads.event_payload(event, integration, run_id, self.clock())
                for rule in rules:
                    if rule.fires_on_event(integration, event.type):
                        self.deliver(rule, payloads.EVENT_CREATED, event.id, payload)
        for rule in rules:
            if rule.fires_on_run(integration, status):
                payload = payloads.run_payload(run, self.clock())
                self.deliver(rule, payloads.run_kind(status), run_id, payload)

    def _run_record(self, integration: str, run_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            for view in list_runs(connection, integration, limit=20):
                if view.id == run_id:
                    return view.as_dict()
        return None

    def test(self, name: str) -> Outcome:
        """Send a test notification under the rule ``name`` and return how it ended."""
        with self.engine.connect() as connection:
            rule = self._rule(notifications.get_rule(connection, name))
        outcome = self.deliver(rule, payloads.TEST, None, payloads.test_payload(name, self.clock()))
        assert outcome is not None  # test deliveries have no subject, so never repeat
        return outcome

    def deliver(
        self, rule: Rule, kind: str, subject_id: int | None, payload: dict[str, Any]
    ) -> Outcome | None:
        """Record, send (with retries) and log one delivery; None if it was sent before."""
        with write_transaction(self.engine) as connection:
            stored = notifications.get_rule(connection, rule.name)
            delivery_id = notifications.open_delivery(
                connection, stored.id, kind, subject_id, self.clock()
            )
        if delivery_id is None:
            return None
        body = payloads.body(payload, delivery_id)
        if rule.channel is Channel.WEBHOOK:
            outcome = self._send_webhook(rule, body, kind, delivery_id)
        else:
            outcome = self._send_email(rule, json.loads(body))
        with write_transaction(self.engine) as connection:
            notifications.close_delivery(
                connection,
                delivery_id,
                status="delivered" if outcome.ok else "failed",
                attempts=outcome.attempts,
                status_code=outcome.status_code,
                error=outcome.error,
                now=self.clock(),
            )
        if not outcome.ok:
            log.warning(
                "notification %d (%s, rule %s) failed after %d attempt(s): %s",
                delivery_id,
                kind,
                rule.name,
                outcome.attempts,
                outcome.error,
            )
        return outcome

    def _send_webhook(self, rule: Rule, body: bytes, kind: str, delivery_id: int) -> Outcome:
        secret = rule.secret or ""
        with httpx.Client(timeout=WEBHOOK_TIMEOUT, transport=self.transport) as client:

            def attempt() -> Attempt:
                return webhook.post(client, rule.target, body, secret, kind, delivery_id)

            return with_backoff(attempt, self.backoff)

    def _send_email(self, rule: Rule, payload: dict[str, Any]) -> Outcome:
        smtp = email.SmtpSettings(**rule.settings)
        to = [part.strip() for part in rule.target.split(",")]
        mail = email.message(smtp.sender, to, payloads.subject(payload), payloads.text(payload))
        return with_backoff(lambda: email.send(smtp, rule.secret, mail), self.backoff)
