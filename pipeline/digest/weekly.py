"""One profile's digest for one week, end to end: content → rendering → archive → outbox →
SMTP, exactly once per (profile, recipient, week).

Each recipient's copy is claimed in the alerts outbox (``digest:<profile>``, ``<week>
<recipient>``) in the same transaction that queues its message, keyed
``digest:<profile>:<week>``: a re-run claims nothing and queues nothing, and a message
purged from the outbox later is still never sent again. ``resend`` sends a new copy on
purpose, under a key of its own. Delivery is the outbox's (``pipeline.alerts.deliver``): SMTP
failures are retried with backoff by later runs and show in ``medradar outbox list``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.alerts import deliver
from pipeline.config import AlertsSettings, DigestProfile, DigestSettings
from pipeline.digest.archive import write_archive, write_html
from pipeline.digest.content import DigestContent, Week, select_content
from pipeline.digest.render import RenderedDigest, digest_email, render_digest
from pipeline.eventstore import EventStore
from pipeline.notify.delivery import DeliveryReport
from pipeline.notify.outbox import Outbox, utcnow
from search.backend import SearchBackend

# With no profile configured, `medradar digest` renders this one: everything, to nobody.
DEFAULT_PROFILE = DigestProfile(name="weekly", title="Weekly")


def profiles_of(settings: DigestSettings) -> list[DigestProfile]:
    return settings.profiles or [DEFAULT_PROFILE]


@dataclass
class DigestRun:
    profile: str
    week: str
    content: DigestContent
    subject: str
    archive: Path
    out: Path | None = None
    render_seconds: float = 0.0
    html_bytes: int = 0
    queued: int = 0
    already_sent: list[str] = field(default_factory=list)  # recipients claimed by an earlier run
    delivery: DeliveryReport | None = None


def build_digest(
    backend: SearchBackend, store: EventStore, profile: DigestProfile, week: Week, trends: AlertsSettings | None
) -> RenderedDigest:
    return render_digest(select_content(backend, store, profile, week, trends))


def queue_digest(
    outbox: Outbox, digest: RenderedDigest, recipients: list[str], sender: str, now: datetime, resend: bool = False
) -> tuple[int, list[str]]:
    """Claim and queue one message per recipient not sent this week's digest yet (every one
    when ``resend``); returns (messages queued, recipients skipped as already sent)."""
    content = digest.content
    subject = f"digest:{content.profile}"
    key = f"digest:{content.profile}:{content.week}" + (f":resend:{now.isoformat()}" if resend else "")
    queued, skipped = 0, []
    with outbox.transaction():
        for recipient in recipients:
            claimed = outbox.claim(subject, f"{content.week} {recipient}", "weekly", digest.subject, now)
            if not claimed and not resend:
                skipped.append(recipient)
                continue
            queued += outbox.enqueue(digest_email(digest, key, recipient, sender, now), now)
    return queued, skipped


def unsent_recipients(outbox: Outbox, profile: DigestProfile, week: Week) -> list[str]:
    return [r for r in profile.recipients if not outbox.claimed(f"digest:{profile.name}", f"{week.label} {r}")]


def run_digest(
    backend: SearchBackend,
    store: EventStore,
    outbox: Outbox | None,
    alerts: AlertsSettings,
    profile: DigestProfile,
    week: Week,
    digests_dir: Path,
    send: bool = False,
    resend: bool = False,
    out: Path | None = None,
    now: datetime | None = None,
) -> DigestRun:
    """Render the week's digest, archive it (and write it to ``out``); with ``send``, queue it
    for the recipients who have not had it and deliver what the outbox holds."""
    started = time.perf_counter()
    digest = build_digest(backend, store, profile, week, alerts)
    html = digest.html("chart.png")
    render_seconds = time.perf_counter() - started
    run = DigestRun(
        profile=profile.name, week=week.label, content=digest.content, subject=digest.subject,
        archive=write_archive(digest, digests_dir), render_seconds=render_seconds, html_bytes=len(html.encode()),
    )  # fmt: skip
    if out is not None:
        run.out = write_html(digest, out)
    if send:
        if outbox is None:
            raise ValueError("sending needs the outbox")
        now = now or utcnow()
        run.queued, run.already_sent = queue_digest(outbox, digest, profile.recipients, alerts.smtp.sender, now, resend)
        run.delivery = deliver(outbox, alerts)
    return run
