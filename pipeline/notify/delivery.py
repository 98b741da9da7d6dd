"""Sending what the outbox holds: each due message once, transient failures retried with
backoff (tenacity) within a run and then across runs, permanent ones stopped with the reason.

A message is taken (``sending``, with a lease; committed) before it goes and marked ``sent``
right after, so a run that dies in between leaves it ``sending``: a run after the lease sends
it again, once, under the same Message-ID / Idempotency-Key. When a channel's server cannot be reached, the run stops
trying that server and leaves the rest of its messages for the next run, untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import tenacity
from pydantic import BaseModel, Field

from pipeline.notify.outbox import Outbox, OutboxRow, utcnow


class TransientFailure(Exception):
    """Worth trying again later: server down, timeout, 5xx from a webhook, 4xx from SMTP."""


class PermanentFailure(Exception):
    """Trying again cannot help: a refused address, a 4xx from a webhook."""


class RetryPolicy(BaseModel):
    attempts_per_run: int = Field(default=3, ge=1, description="tries within one run before waiting for the next")
    wait_seconds: float = Field(default=1.0, ge=0, description="first wait between tries in a run, doubling")
    backoff_minutes: float = Field(default=5.0, ge=0, description="wait before the next run retries, doubling per failed run")
    max_backoff_minutes: float = Field(default=60.0, ge=0)
    lease_minutes: float = Field(default=10.0, gt=0, description="a message left sending longer is sent again")

    def next_attempt(self, attempts: int, now: datetime) -> datetime:
        minutes = min(self.backoff_minutes * 2 ** max(attempts - 1, 0), self.max_backoff_minutes)
        return now + timedelta(minutes=minutes)


Send = Callable[[OutboxRow], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(
    outbox: Outbox, senders: dict[str, Send], policy: RetryPolicy, now: Callable[[], datetime] = utcnow
) -> DeliveryReport:
    report = DeliveryReport()
    down: dict[str, str] = {}  # server → why it was given up on in this run
    for row in outbox.due(now()):
        server = _server(row)
        if server in down:
            outbox.mark_retry(row.id, down[server], policy.next_attempt(max(row.attempts, 1), now()))
            report.retry_later += 1
            continue
        if not outbox.take(row, now() + timedelta(minutes=policy.lease_minutes)):
            continue  # another process is sending it
        try:
            _with_retries(senders[row.channel], policy)(row)
        except PermanentFailure as problem:
            outbox.mark_failed(row.id, str(problem))
            report.failed += 1
            report.errors.append(f"{row.recipient}: {problem}")
        except TransientFailure as problem:
            down[server] = str(problem)
            outbox.mark_retry(row.id, str(problem), policy.next_attempt(row.attempts + 1, now()))
            report.retry_later += 1
            report.errors.append(f"{row.recipient}: {problem} (will retry)")
        else:
            outbox.mark_sent(row.id, now())
            report.sent += 1
    return report


def _with_retries(send: Send, policy: RetryPolicy) -> Send:
    return tenacity.retry(
        retry=tenacity.retry_if_exception_type(TransientFailure),
        stop=tenacity.stop_after_attempt(policy.attempts_per_run),
        wait=tenacity.wait_exponential(multiplier=policy.wait_seconds, max=60),
        reraise=True,
    )(send)


def _server(row: OutboxRow) -> str:
    """What a failure takes down for the rest of the run: the SMTP server, or a webhook's host."""
    if row.channel == "email":
        return "smtp"
    return f"webhook:{urlsplit(row.recipient).netloc}"
