"""Decoding real pages: every case of the shared corpora's encoding index."""

import gzip
import json

import pytest

from spiders.encoding import decode_html
from tests.support import SHARED

CORPORA = SHARED / "corpora"
CASES = json.loads((CORPORA / "encoding-cases.json").read_text(encoding="utf-8"))


def expected_text(case: dict, body: bytes) -> str:
    # The GB family is read as gb18030, its superset, as browsers do.
    codec = "gb18030" if case["encoding"] in ("gbk", "gb2312") else case["encoding"]
    return body.decode(codec, errors="replace").removeprefix("\ufeff")


@pytest.mark.parametrize("case", CASES, ids=[case["input"] for case in CASES])
def test_real_pages_decode_as_the_corpus_says(case):
    """GBK/GB18030/Big5 declared or not, broken bytes, BOMs, and stale <meta charset>
    labels on pages re-saved as UTF-8."""
    body = gzip.open(CORPORA / case["input"]).read()
    text, _encoding = decode_html(body)
    assert text == expected_text(case, body)


def test_a_gbk_page_that_declares_utf8_is_read_as_gbk():
    body = '<html><head><meta charset="utf-8"></head><body><p>'.encode() + (
        "北京协和医院联合中国科学院自动化研究所发布了罕见病大模型。" * 20
    ).encode("gbk") + b"</p></body></html>"
    text, encoding = decode_html(body)
    assert "北京协和医院" in text and encoding == "gb18030"


def test_the_http_header_is_used_for_legacy_bytes():
    body = "<p>醫院管理局</p>".encode("big5")
    assert decode_html(body, "text/html; charset=big5")[0] == "<p>醫院管理局</p>"
