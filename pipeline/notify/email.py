"""Alerts as email: multipart plain text + HTML, rendered once (into the outbox), sent over SMTP.

Scraped text reaches the HTML only through Jinja2's autoescaping, and links only when they are
http(s); headers get single lines. Sending classifies failures: a server that cannot be
reached, a timeout or a 4xx reply is transient (retried later); a 5xx reply (an address the
server refuses, a message it rejects) is permanent.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from datetime import datetime
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field, SecretStr

from pipeline.notify.delivery import PermanentFailure, TransientFailure
from pipeline.notify.notice import Notice, one_line, safe_link
from pipeline.notify.outbox import Message, OutboxRow

_templates = Environment(
    loader=PackageLoader("pipeline.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["link"] = safe_link


class SmtpOptions(BaseModel):
    host: str = "127.0.0.1"
    port: int = 25
    security: str = Field(default="none", description="none, starttls or ssl")
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "MedRadar <alerts@localhost>"
    timeout: float = 30.0


def render_email(notice: Notice, key: str, recipient: str, sender: str, now: datetime) -> Message:
    """The whole message, with its stable Message-ID, ready for the outbox."""
    message = Message(key=key, channel="email", recipient=recipient, subject=notice.subject, payload=b"")
    email = new_email(message, sender, now)
    context = {"notice": notice}
    email.set_content(_templates.get_template("alert.txt").render(context))
    email.add_alternative(_templates.get_template("alert.html").render(context), subtype="html")
    return message.model_copy(update={"payload": email.as_bytes()})


def new_email(message: Message, sender: str, now: datetime) -> EmailMessage:
    """An email with the message's headers (its stable Message-ID, its delivery key), no body yet."""
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = one_line(message.subject, 200)
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id
    email["X-MedRadar-Key"] = one_line(message.key, 500)
    return email


def send_email(row: OutboxRow, smtp: SmtpOptions) -> None:
    """Send one stored message as it is; TransientFailure or PermanentFailure if it cannot."""
    try:
        client = _connect(smtp)
    except (OSError, smtplib.SMTPException) as problem:
        raise TransientFailure(f"SMTP {smtp.host}:{smtp.port} unreachable: {_reason(problem)}") from None
    try:
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
            sender = _address(smtp.sender)
            refused = client.sendmail(sender, [row.recipient], row.payload)
            if refused:
                code, reason = refused[row.recipient]
                raise _classified(code, reason, row.recipient)
    except smtplib.SMTPRecipientsRefused as problem:
        code, reason = problem.recipients.get(row.recipient, (550, b"refused"))
        raise _classified(code, reason, row.recipient) from None
    except smtplib.SMTPResponseException as problem:
        raise _classified(problem.smtp_code, problem.smtp_error, row.recipient) from None
    except (OSError, smtplib.SMTPException) as problem:
        raise TransientFailure(f"SMTP {smtp.host}:{smtp.port}: {_reason(problem)}") from None


def _connect(smtp: SmtpOptions) -> smtplib.SMTP:
    if smtp.security == "ssl":
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
    return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)


def _classified(code: int, reason: bytes | str, recipient: str) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    message = f"SMTP {code} for {recipient}: {text}"
    return PermanentFailure(message) if code >= 500 else TransientFailure(message)


def _address(sender: str) -> str:
    return parseaddr(sender)[1] or sender


def _reason(problem: BaseException) -> str:
    if isinstance(problem, socket.timeout):
        return "timed out"
    return str(problem) or type(problem).__name__
