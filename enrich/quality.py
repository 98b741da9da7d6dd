"""Quality gates: pages that must not become articles, and the reason each is turned away.

Every rule here was measured on the shared real-page corpora (``bench/extraction.py``):
the non-article pages there (GNE and magic-html list pages, newspaper4k home pages and
redirects, Readability's non-readerable pages) should be rejected, the 1,838 article pages
should not. The thresholds live in ``pipeline.config.ArticlesSettings``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from enrich.schema import Language

RejectionReason = Literal[
    "empty_body",
    "too_large",
    "not_html",
    "undecodable",
    "redirect",
    "home_page",
    "search_page",
    "tag_page",
    "listing_page",
    "no_main_text",
    "no_title",
    "paywall",
    "too_short",
    "boilerplate_only",
]


@dataclass(frozen=True)
class ArticleRules:
    """The gates' thresholds (defaults and reasons: ``pipeline.config.ArticlesSettings``)."""

    min_text_chars: dict[str, int]
    max_page_bytes: int
    max_undecodable_share: float
    listing_min_links: int
    listing_max_chars_per_link: float
    paywall_max_chars: dict[str, int]

    def min_chars(self, lang: Language) -> int:
        return self.min_text_chars.get(lang, self.min_text_chars["other"])

    def paywall_chars(self, lang: Language) -> int:
        return self.paywall_max_chars.get(lang, self.paywall_max_chars["other"])


# -- by URL ----------------------------------------------------------------------------

_HOME_PATH = re.compile(r"/?(?:(?:index|default|home)\.(?:s?html?|php|aspx?|jsp))?", re.IGNORECASE)
_SEARCH_SEGMENT = re.compile(r"search|搜索|query", re.IGNORECASE)
_SEARCH_PARAMETERS = {"q", "s", "query", "keyword", "keywords", "search", "wd", "kw", "search_query", "searchword"}
_TAG_SEGMENTS = {
    "tag", "tags", "topic", "topics", "category", "categories", "author", "authors", "label", "labels",
    "archive", "archives", "keyword", "keywords", "zhuanti", "column", "columns",
}  # fmt: skip
# list.html, list_2.html, index_3.html: numbered pages of a list (an article id is longer).
_LIST_FILE = re.compile(r"(?:list(?:[_-]?\d{1,3})?|index[_-]\d{1,3})\.s?html?", re.IGNORECASE)
_ID_LIKE = re.compile(r"(?:\D*\d){3}")
_PAGE_SUFFIX = re.compile(r"(?:/page/\d+)?/?$")


def page_kind_from_url(url: str, section_urls: Sequence[str] = ()) -> RejectionReason | None:
    """``home_page``, ``search_page`` or ``tag_page`` when the URL says so; else None.

    ``section_urls`` are the source's own home and listing pages."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if (parts.hostname or "").startswith("search.") or any(
        _SEARCH_SEGMENT.fullmatch(segment) for segment in path.split("/") if segment
    ):
        return "search_page"
    if any(key.lower() in _SEARCH_PARAMETERS and value for key, value in parse_qsl(parts.query)):
        return "search_page"
    # With a query string the root can be anything (WordPress serves articles at /?p=123).
    if (_HOME_PATH.fullmatch(path) and not parts.query) or any(_same_page(url, section) for section in section_urls):
        return "home_page"
    segments = [segment for segment in _PAGE_SUFFIX.sub("", path).split("/") if segment]
    for position, segment in enumerate(segments):
        # /tag/ai/ or /category/news/page/2/ is a tag page; /topics/ai/some-article-123 and
        # /archive/63076 (an id: three digits or more) are articles.
        rest = segments[position + 1 :]
        if segment.lower() in _TAG_SEGMENTS and len(rest) <= 1 and not any(_ID_LIKE.match(value) for value in rest):
            return "tag_page"
    if segments and _LIST_FILE.fullmatch(segments[-1]):
        return "tag_page"
    return None


def _same_page(url: str, other: str) -> bool:
    first, second = urlsplit(url), urlsplit(other)
    return (first.hostname, first.path.rstrip("/"), first.query) == (second.hostname, second.path.rstrip("/"), second.query)


# -- by markup -------------------------------------------------------------------------

# Not inside <noscript>: "enable JavaScript" redirects sit there on ordinary article pages.
_REFRESH = etree.XPath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh'][not(ancestor::noscript)]/@content")
_REFRESH_TARGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[;,]\s*url\s*=", re.IGNORECASE)
# Seconds: a page that sends the reader elsewhere this fast is a redirect stub. Pages that
# reload themselves every few minutes (news home pages) or only in old browsers are not.
REDIRECT_MAX_DELAY = 5.0

_ARTICLE_TYPES = re.compile(r"^(?:\w+:)?(?:news|report(?:age)?)?(?:article|news|blogposting|liveblogposting)$", re.IGNORECASE)
_OG_TYPE = etree.XPath("//meta[@property='og:type']/@content")
_JSON_LD = etree.XPath("//script[@type='application/ld+json']/text()")
_JSON_LD_TYPE = re.compile(r'"@type"\s*:\s*\[?\s*"([^"]+)"')
_ANCHORS = etree.XPath("//body//a")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def is_redirect_stub(tree: HtmlElement) -> bool:
    for content in _REFRESH(tree):
        match = _REFRESH_TARGET.match(str(content))
        if match and float(match.group(1)) <= REDIRECT_MAX_DELAY:
            return True
    return False


def declares_article(tree: HtmlElement) -> bool:
    """The page calls itself an article (og:type or a JSON-LD @type)."""
    declared = [str(value).strip() for value in _OG_TYPE(tree)]
    for script in _JSON_LD(tree):
        declared.extend(_JSON_LD_TYPE.findall(str(script)))
    return any(_ARTICLE_TYPES.match(value) for value in declared)


def headline_links(tree: HtmlElement) -> list[str]:
    """Texts of the links that read like a headline (six words, or eight Chinese characters)."""
    texts = []
    for anchor in _ANCHORS(tree):
        text = " ".join(anchor.text_content().split())
        if len(_HAN.findall(text)) >= 8 or len(text.split()) >= 6:
            texts.append(text)
    return texts


def looks_like_listing(tree: HtmlElement, text: str, rules: ArticleRules) -> bool:
    """Many headline links and little main text per link (not counting lines that are link
    texts), on a page that does not call itself an article: a list of articles. Measured:
    every GNE and magic-html list page; 1 of 1,838 article pages."""
    links = headline_links(tree)
    if len(links) < rules.listing_min_links:
        return False
    link_texts = set(links)
    own_text = [line for line in text.splitlines() if " ".join(line.split()) not in link_texts]
    return text_chars("".join(own_text)) / len(links) < rules.listing_max_chars_per_link and not declares_article(tree)


# -- by text ---------------------------------------------------------------------------

_PAYWALL = re.compile(
    "|".join(
        [
            r"subscribe (?:now )?to (?:continue|keep) reading",
            r"subscribe to (?:read|unlock)",
            r"to (?:continue|keep) reading,? (?:please )?(?:subscribe|sign in|log in|register)",
            r"(?:this|the) (?:article|story|content) is (?:only )?(?:available )?(?:for|to) (?:paid )?(?:subscribers|members)",
            r"already a (?:subscriber|member)\?",
            r"unlock (?:this|the full) (?:article|story)",
            r"订阅(?:后|即可)(?:阅读|查看)",
            r"付费(?:阅读|内容|文章)",
            r"(?:购买|开通会员|成为会员)(?:后|即可)(?:阅读|查看)",
            r"登录后(?:阅读|查看)(?:全文|更多)",
            r"(?:阅读|查看)全文(?:需|请)",
            r"剩余\s*\d+\s*字",
        ]
    ),
    re.IGNORECASE,
)
_NOT_FREE = re.compile(r'"isAccessibleForFree"\s*:\s*"?(?:false|False|FALSE)"?')
_VISIBLE_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")


def is_paywall_stub(tree: HtmlElement, text: str, lang: Language, rules: ArticleRules) -> bool:
    """A teaser cut short by a paywall: short text, and the page says so (a subscribe-to-read
    notice, or schema.org ``isAccessibleForFree: false``). 37 real articles in the corpora
    declare themselves not free yet carry the whole text; the length keeps them."""
    if len("".join(text.split())) >= rules.paywall_chars(lang):
        return False
    if any(_NOT_FREE.search(str(script)) for script in _JSON_LD(tree)):
        return True
    return bool(_PAYWALL.search(" ".join(" ".join(_VISIBLE_TEXT(tree)).split())))


# Short lines every site repeats around its articles: navigation, sharing, legal, cookies,
# sign-in, error pages. A long line is a paragraph, whatever words it contains.
BOILERPLATE_LINE_CHARS = 80
_BOILERPLATE_LINE = re.compile(
    "|".join(
        [
            r"©|\(c\)\s*\d{4}|copyright|all rights reserved|版权所有|版权声明|未经授权|禁止转载|icp备|icp证|公网安备",
            r"cookie|privacy (?:policy|notice)|terms (?:of|and) (?:use|service|conditions)|隐私政策|用户协议|免责声明",
            r"enable javascript|javascript is (?:disabled|required)|update your browser|请启用javascript",
            r"\b404\b|page not found|not be found|no longer available|页面不存在|找不到(?:该|此)?页面|内容已删除",
            r"sign in|log in|sign up|register|subscribe|newsletter|登录|注册|订阅",
            r"share (?:this|on)|^share:?|分享到|转发到|扫一扫|二维码|关注我们|follow us",
            r"related (?:stories|articles|posts)|read more|more stories|相关阅读|相关文章|推荐阅读|延伸阅读|热门推荐",
            r"advertisement|sponsored|广告",
            r"contact us|about us|联系我们|关于我们|返回顶部|back to top|home\s*[|>›]|首页\s*[|>›]",
        ]
    ),
    re.IGNORECASE,
)


def without_boilerplate(text: str) -> str:
    """The text without its short boilerplate lines."""
    return "\n".join(
        line
        for line in text.splitlines()
        if not (len(line.strip()) <= BOILERPLATE_LINE_CHARS and _BOILERPLATE_LINE.search(line))
    )


def text_chars(text: str) -> int:
    """Characters of text, whitespace not counted."""
    return len("".join(text.split()))
