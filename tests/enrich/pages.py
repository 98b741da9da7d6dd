"""Team-written news pages for tests: the shape of a real article page, content chosen by
the test. Text is escaped, so a test never builds markup by accident."""

from __future__ import annotations

from html import escape


def news_page(
    title: str,
    paragraphs: list[str],
    *,
    lang: str = "en",
    byline: str = "",
    head: str = "",
    extra: str = "",
    site: str = "News Example",
) -> str:
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)} - {escape(site)}</title>{head}</head>
<body>
<header><a href="/">{escape(site)}</a><nav><a href="/news/">News</a> <a href="/deals/">Deals</a></nav></header>
<main><article>
<h1>{escape(title)}</h1>
<div class="meta">{escape(byline)}</div>
<div class="body">{body}</div>
{extra}
</article></main>
<footer>© 2026 {escape(site)}</footer>
</body></html>"""
