"""Encodings of real pages: every page of the shared corpora's encoding cases decodes to the text
its ground-truth encoding gives, whatever (true, missing or wrong) charset the server sends."""

import gzip
import json

import pytest

from spiders.encoding import sniff_encodings
from tests.support import SHARED

CORPORA = SHARED / "corpora"


def _cases() -> list[dict]:
    return json.loads((CORPORA / "encoding-cases.json").read_text(encoding="utf-8"))


def _text(body: bytes, codec: str) -> str:
    return body.decode(codec, errors="replace").removeprefix("\ufeff")


@pytest.mark.parametrize("header", [None, "text/html; charset=utf-8", "text/html"])
def test_the_encoding_cases_of_the_shared_corpora(header):
    wrong = []
    cases = _cases()
    for case in cases:
        body = gzip.open(CORPORA / case["input"], "rb").read()
        if _text(body, sniff_encodings(body, header).detected) != _text(body, case["encoding"]):
            wrong.append(case["input"])
    assert len(cases) >= 140
    assert wrong == []


def test_chinese_feeds_in_gb2312_and_big5():
    manifest = json.loads((CORPORA / "chardet-cjk" / "manifest.json").read_text(encoding="utf-8"))
    for record in manifest:
        body = gzip.open(CORPORA / "chardet-cjk" / record["input"], "rb").read()
        found = sniff_encodings(body, "application/rss+xml")
        assert _text(body, found.detected) == _text(body, record["encoding"]), record["input"]


def test_header_meta_and_bytes_are_all_reported():
    body = '<html><head><meta charset="gb2312"></head><body>医疗器械注册人制度</body></html>'.encode("gbk")
    found = sniff_encodings(body, "text/html; charset=UTF-8")
    assert (found.header, found.declared, found.detected) == ("utf-8", "gb18030", "gb18030")
    stale = '<meta charset="gb2312"><p>医疗器械注册人制度</p>'.encode()
    assert sniff_encodings(stale, "text/html").detected == "utf-8"
    assert sniff_encodings("\ufeff<p>é</p>".encode("utf-16-le"), None).detected == "utf-16-le"
    assert sniff_encodings(b"<p>plain ascii</p>", "text/html; charset=big5").detected == "big5hkscs"
