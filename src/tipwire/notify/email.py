"""Email notifications over SMTP, with optional STARTTLS and login."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from tipwire.errors import InvalidValueError
from tipwire.model.normalise import email as email_address
from tipwire.notify.retry import Attempt

MAX_ERROR = 300


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to hand mail over; the password lives encrypted with the rule."""

    host: str
    port: int = 25
    sender: str = "tipwire@localhost"
    starttls: bool = False
    username: str | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise InvalidValueError("smtp host", self.host, "must not be empty")
        if not 0 < self.port < 65536:
            raise InvalidValueError("smtp port", self.port, "must be from 1 to 65535")
        # A local sender is fine for a relay on the same host; any other must be an address.
        if not self.sender.endswith("@localhost"):
            object.__setattr__(self, "sender", email_address(self.sender, "from"))

    def as_dict(self) -> dict[str, Any]:
        """The settings to store (no secret among them)."""
        return {
            "host": self.host,
            "port": self.port,
            "sender": self.sender,
            "starttls": self.starttls,
            "username": self.username,
        }


def message(sender: str, to: list[str], subject: str, body: str) -> EmailMessage:
    """A plain-text message."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


def send(smtp: SmtpSettings, password: str | None, mail: EmailMessage) -> Attempt:
    """Hand one message to the SMTP server; 4xx answers and network errors may be retried."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, password or "")
            client.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        # 4xx is "try again later"; 5xx is a permanent refusal.
        return Attempt(
            ok=False,
            status_code=exc.smtp_code,
            error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:MAX_ERROR],
            retry=400 <= exc.smtp_code < 500,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(ok=False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    return Attempt(ok=True, status_code=250)
