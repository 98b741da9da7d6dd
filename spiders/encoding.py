"""Which encoding a page's bytes are really in, and what the server and the page claimed.

Chinese sites often get this wrong: a server configured for UTF-8 sends ``charset=utf-8``
in front of a GBK page that says ``<meta charset=gbk>``, or a page re-saved as UTF-8 keeps its
old ``gb2312`` meta. Browsers trust the header; we trust the bytes:

1. a byte-order mark decides;
2. pure ASCII needs no decision (the first claim, else UTF-8);
3. bytes that are valid UTF-8 are UTF-8 (legacy CJK text is practically never valid UTF-8,
   so this is what fixes stale ``gb2312`` metas);
4. otherwise the claims (header, then in-document) whose encoding decodes the bytes without
   error win; when two different ones do (GBK and Big5 byte ranges overlap), charset-normalizer
   decides by what the text looks like;
5. when no claim decodes cleanly, a claim that decodes all but a few stray bytes (under one
   byte in a thousand, and under a tenth of the non-ASCII text: a truncated character, a
   pasted byte) still wins over a guess; failing that, charset-normalizer guesses from the
   text. (It cannot guess an undeclared page that also has stray bytes: such pages are rare,
   and come out in the wrong encoding.)

Labels are resolved as browsers do (w3lib): gb2312 and gbk read as gb18030, big5 as big5hkscs.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

# Detection looks at the start of the page: enough text to judge, bounded work per page.
_DETECTION_BYTES = 64 * 1024


@dataclass(frozen=True)
class Encodings:
    header: str | None
    """Charset in the Content-Type header (resolved: a ``gbk`` label reads ``gb18030``)."""
    declared: str | None
    """What the document itself declares: BOM, ``<meta charset>`` or ``<?xml encoding?>`` (resolved)."""
    detected: str
    """The Python codec the bytes decode with (normalised, e.g. ``gb18030``, ``big5hkscs``)."""


def sniff_encodings(body: bytes, content_type: str | None = None) -> Encodings:
    header = http_content_type_encoding(content_type) if content_type else None
    bom, _ = read_bom(body)
    declared = bom or html_body_declared_encoding(body)
    return Encodings(header=header, declared=declared, detected=_detect(body, bom, [header, declared]))


def _detect(body: bytes, bom: str | None, claims: list[str | None]) -> str:
    if bom:
        return _codec(bom) or "utf-8"
    candidates = list(dict.fromkeys(c for c in (_codec(claim) for claim in claims if claim) if c))
    if body.isascii():
        return next((c for c in candidates if _is_ascii_compatible(c)), "utf-8")
    if _decodes(body, "utf-8"):
        return "utf-8"
    decodable = [c for c in candidates if _decodes(body, c)]
    if len(decodable) == 1:
        return decodable[0]
    if not decodable and candidates:
        nearest = min(candidates, key=lambda codec: _errors(body, codec))
        if _nearly_decodes(body, nearest):
            return nearest
    guess = from_bytes(body[:_DETECTION_BYTES], cp_isolation=decodable or None).best()
    if guess is not None and (detected := _codec(guess.encoding)):
        return detected
    return (decodable or candidates or ["utf-8"])[0]


def _codec(label: str) -> str | None:
    """The normalised Python codec for an encoding label, or None for an unknown label."""
    resolved = resolve_encoding(label)
    if resolved is None:
        return None
    return codecs.lookup(resolved).name


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _errors(body: bytes, codec: str) -> int:
    """How many characters of ``body`` do not decode in ``codec``."""
    return body.decode(codec, errors="replace").count("\ufffd") - body.count("\ufffd".encode())


def _nearly_decodes(body: bytes, codec: str) -> bool:
    text = body.decode(codec, errors="replace")
    errors = text.count("\ufffd")
    non_ascii = sum(1 for char in text if char > "\x7f") - errors
    return errors * 1000 < len(body) and errors * 10 < non_ascii


def _is_ascii_compatible(codec: str) -> bool:
    return b"ascii".decode(codec, errors="replace") == "ascii"
