"""Decoding page bytes to text before extraction.

trafilatura given raw GB-encoded bytes guesses wrong on real GBK pages, so pages are decoded
here, by w3lib's browser-like rules: BOM, then the HTTP header, then ``<meta charset>``, then
detection; gb2312/gbk are read as gb18030 and big5 as big5hkscs, their supersets.
"""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used)."""
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding
