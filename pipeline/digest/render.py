"""The digest as mail clients need it: HTML in tables with its CSS inlined (css-inline), a
plain-text part with the same facts, the chart as an inline image (Content-ID), a one-line
subject carrying the week and the top item.

Scraped text reaches the HTML only through Jinja2's autoescaping (``.html`` templates), links
only when they are http(s); in the text part it is flattened to single lines without control
characters, so a scraped title cannot forge lines or terminal escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import css_inline
from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.digest.chart import chart_alt, chart_png
from pipeline.digest.content import TYPE_NAMES, DigestContent
from pipeline.notify.email import new_email
from pipeline.notify.notice import one_line, safe_link
from pipeline.notify.outbox import Message

MAX_HTML_BYTES = 100_000  # what mail clients show without clipping (Gmail clips at 102 KB)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    """Scraped text for the text part: one line, no control or bidi-override characters."""
    return " ".join(_CONTROL.sub(" ", str(text or "")).split())


def type_name(kind: str | None) -> str:
    return TYPE_NAMES.get(kind, (kind, ""))[0] if kind else ""


_templates = Environment(
    loader=PackageLoader("pipeline.digest", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters |= {"link": safe_link, "plain": plain, "type_name": type_name}
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True)
class RenderedDigest:
    content: DigestContent
    subject: str
    text: str
    chart: bytes | None  # PNG; None for a quiet week (no chart)
    chart_alt: str

    def html(self, chart_src: str | None) -> str:
        """The HTML, its chart at ``chart_src`` (``cid:...`` in the email, a file beside the
        archived page), CSS inlined."""
        page = _templates.get_template("digest.html").render(
            content=self.content, subject=self.subject, chart_src=chart_src if self.chart else None, chart_alt=self.chart_alt
        )
        return _inliner.inline(page)

    @property
    def content_id(self) -> str:
        return f"chart.{self.content.week}.{self.content.profile}@medradar"


def render_digest(content: DigestContent) -> RenderedDigest:
    chart = None if content.empty or "chart" not in content.sections else chart_png(content.chart, _chart_title(content))
    alt = chart_alt(content.chart, content.week)
    subject = digest_subject(content)
    text = _templates.get_template("digest.txt").render(content=content, chart_alt=alt if chart else None)
    return RenderedDigest(content=content, subject=subject, text=text, chart=chart, chart_alt=alt)


def digest_subject(content: DigestContent) -> str:
    head = f"[MedRadar] {content.label} {content.week}"
    if content.empty:
        return f"{head}: a quiet week"
    lead = content.lead
    more = content.total.this_week - 1 if lead and lead.score is not None else content.china_total - 1
    title = plain(lead.item.title) if lead else ""
    amount = f" ({plain(lead.item.amount)})" if lead and lead.item.amount else ""
    return one_line(f"{head}: {title}{amount}" + (f" and {more} more" if more > 0 else ""), 200)


def _chart_title(content: DigestContent) -> str:
    return f"Events per day by type, 8 weeks to {content.week}"


def digest_email(digest: RenderedDigest, key: str, recipient: str, sender: str, now: datetime) -> Message:
    """multipart/alternative: the text, then multipart/related: the HTML and its chart inline."""
    message = Message(key=key, channel="email", recipient=recipient, subject=digest.subject, payload=b"")
    email = new_email(message, sender, now)
    email.set_content(digest.text)
    email.add_alternative(digest.html(f"cid:{digest.content_id}"), subtype="html")
    if digest.chart:
        html = email.get_payload()[1]
        html.add_related(
            digest.chart, "image", "png", cid=f"<{digest.content_id}>", filename=f"{digest.content.week}.png",
            disposition="inline",
        )  # fmt: skip
    return message.model_copy(update={"payload": email.as_bytes()})
