"""Decoding page bytes to text before extraction.

trafilatura given raw GB-encoded bytes guesses wrong on real GBK pages, so pages are decoded
here. Bytes that are valid UTF-8 are UTF-8, whatever the page declares: re-saved pages keep a
stale ``<meta charset=gb2312>`` (17 of the shared corpora's pages), and legacy-encoded text
is practically never valid UTF-8 by accident. Otherwise w3lib's browser-like rules apply:
BOM, then the HTTP header, then ``<meta charset>``, then detection (charset_normalizer, for
the undeclared GB and Big5 pages real Chinese sites still serve); gb2312/gbk are read as
gb18030 and big5 as big5hkscs, their supersets. A page whose declared encoding leaves
characters unreadable (a GBK page that says UTF-8) is read with the detected encoding
instead when that reads it whole.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode, resolve_encoding

# charset_normalizer reads this much of a page: enough text for a confident guess, and
# bounded time on multi-megabyte pages.
_DETECTION_SAMPLE = 32_768
# More unreadable characters than this under the declared encoding: the declaration is wrong
# (the corpora's real pages with a few broken byte sequences stay far below it).
MISDECLARED_SHARE = 0.001
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used)."""
    if not body.startswith(_BOMS):
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect)
    if "\ufffd" in text and replacement_share(text) > MISDECLARED_SHARE:
        detected = from_bytes(body).best()
        if detected is not None and detected.encoding:
            return str(detected), resolve_encoding(detected.encoding) or detected.encoding
    return text, encoding


def replacement_share(text: str) -> float:
    """How much of a decoded text is U+FFFD: bytes its encoding could not read."""
    return text.count("\ufffd") / len(text) if text else 0.0


def _detect(body: bytes) -> str | None:
    best = from_bytes(body[:_DETECTION_SAMPLE]).best()
    if best is None:
        return None
    return resolve_encoding(best.encoding) or best.encoding
