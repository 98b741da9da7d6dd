"""Alerts as webhooks: a JSON POST with Slack-compatible ``text`` and a structured ``items``
array, an ``Idempotency-Key`` header and an HMAC-SHA256 signature of the body.

Receivers check ``X-MedRadar-Signature: sha256=<hex>`` = HMAC-SHA256(secret, raw body), and
drop a repeated Idempotency-Key (a message resent after a crash carries the same one).
A 2xx answer is delivered; 408, 425, 429 and 5xx answers and network errors are transient;
any other 4xx is permanent (the receiver will not accept this body, however often it comes).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import requests

from pipeline.notify.delivery import PermanentFailure, TransientFailure
from pipeline.notify.notice import Notice, safe_link
from pipeline.notify.outbox import Message, OutboxRow, message_id

SIGNATURE_HEADER = "X-MedRadar-Signature"
TRANSIENT_STATUSES = {408, 425, 429}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def render_webhook(notice: Notice, key: str, url: str, secret: str) -> Message:
    idempotency_key = message_id(key, "webhook", url).strip("<>")
    body = json.dumps(
        {
            "text": slack_text(notice),
            "kind": notice.kind,
            "name": notice.name,
            "period": notice.period,
            "idempotency_key": idempotency_key,
            "items": [item.model_dump(mode="json") for item in notice.items],
            "spikes": [spike.model_dump(mode="json") for spike in notice.spikes],
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": idempotency_key,
        SIGNATURE_HEADER: signature(secret, body),
    }
    return Message(key=key, channel="webhook", recipient=url, subject=notice.subject, headers=headers, payload=body)


def slack_text(notice: Notice) -> str:
    """Slack's mrkdwn, with scraped text escaped by Slack's rules (&, <, >) and links only to http(s)."""
    lines = [_escape(notice.subject)]
    for item in notice.items:
        link = safe_link(item.url)
        title = _escape(item.title)
        head = f"• <{_escape(link)}|{title}>" if link else f"• {title}"
        details = [item.event_type or "", ", ".join(item.parties), item.amount or "", ", ".join(item.source_ids)]
        lines.append(head + "".join(f" · {_escape(d)}" for d in details if d))
    for spike in notice.spikes:
        lines.append(f"• {_escape(spike.label)}: {spike.count} vs {spike.expected:.1f} expected")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_webhook(row: OutboxRow, timeout: float) -> None:
    try:
        answer = requests.post(row.recipient, data=row.payload, headers=row.headers, timeout=timeout)
    except requests.RequestException as problem:
        raise TransientFailure(f"POST {row.recipient}: {type(problem).__name__}: {problem}") from None
    if answer.ok:
        return
    reason = f"POST {row.recipient}: HTTP {answer.status_code} {answer.text[:200]!r}"
    if answer.status_code >= 500 or answer.status_code in TRANSIENT_STATUSES:
        raise TransientFailure(reason)
    raise PermanentFailure(reason)
