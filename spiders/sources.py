"""What a news source is: the typed shape of one entry of ``sources.yaml``.

Loading and error reporting for the file live in ``pipeline.config``; the crawler receives
validated ``Source`` objects (inside a ``CrawlJob``) and never reads YAML itself. Everything
that can be checked without the network is checked here, so ``medradar sources check``
catches a broken selector before a crawl does.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import HTMLTranslator
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
# The namespaces parsel binds for every XPath query (EXSLT regular expressions and sets).
XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}



def known_timezone(name: str) -> str:
    """The name, if it is an IANA time zone; ValueError saying so otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Asia/Shanghai, America/New_York)") from None
    return name

class Source(BaseModel):
    """One outlet MedRadar watches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SOURCE_ID_PATTERN, description="stable slug, used in ids and paths")
    name: str = Field(min_length=1)
    language: Literal["en", "zh"]
    homepage: AnyHttpUrl
    feeds: list[AnyHttpUrl] = Field(default_factory=list, description="RSS or Atom feed URLs")
    sitemaps: list[AnyHttpUrl] = Field(
        default_factory=list, description="news sitemap or sitemap index URLs (plain or .gz)"
    )
    listings: list[AnyHttpUrl] = Field(default_factory=list, description="listing page URLs")
    allowed_domains: list[str] = Field(
        default_factory=list,
        description="hosts the crawler may fetch (and their subdomains); defaults to the homepage's host",
    )
    article_pattern: str | None = Field(
        default=None,
        description="regular expression an article URL must match (searched in the canonical URL)",
    )
    link_css: str | None = Field(default=None, description="listing pages: CSS selector of the article links")
    link_xpath: str | None = Field(default=None, description="listing pages: XPath of the article links")
    next_css: str | None = Field(default=None, description="listing pages: CSS selector of the next-page link")
    next_xpath: str | None = Field(default=None, description="listing pages: XPath of the next-page link")
    max_pages: int = Field(default=3, ge=1, le=100, description="listing pages followed per listing URL and run")
    sitemap_max_age_days: float = Field(
        default=2.0, gt=0, description="news sitemaps: entries published longer ago than this are skipped"
    )
    crawl_delay: float = Field(default=1.0, ge=0, description="seconds between requests")
    max_new_articles: int = Field(default=100, ge=1, description="new articles per run at most")
    timezone: str = Field(default="UTC", description="IANA time zone of the dates the outlet prints")
    selectors_verified: date | None = Field(
        default=None, description="when the URLs and selectors were last checked against the live site"
    )

    @field_validator("allowed_domains")
    @classmethod
    def _bare_hostnames(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not _HOSTNAME.match(domain):
                raise ValueError(f"{domain!r} is not a host name (no scheme, port or path: e.g. www.example.com)")
        return domains

    @field_validator("article_pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return pattern

    @field_validator("link_css", "next_css")
    @classmethod
    def _css_parses(cls, selector: str | None) -> str | None:
        if selector is not None:
            try:
                HTMLTranslator().css_to_xpath(selector)
            except SelectorError as error:
                raise ValueError(f"invalid CSS selector: {error}") from None
        return selector

    @field_validator("link_xpath", "next_xpath")
    @classmethod
    def _xpath_parses(cls, expression: str | None) -> str | None:
        if expression is not None:
            try:
                etree.XPath(expression, namespaces=XPATH_NAMESPACES)
            except etree.XPathError as error:
                raise ValueError(f"invalid XPath: {error}") from None
        return expression

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return known_timezone(name)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if not (self.feeds or self.sitemaps or self.listings):
            raise ValueError("a source needs at least one of feeds, sitemaps or listings")
        if self.link_css and self.link_xpath:
            raise ValueError("give link_css or link_xpath, not both")
        if self.next_css and self.next_xpath:
            raise ValueError("give next_css or next_xpath, not both")
        if self.listings and not (self.link_css or self.link_xpath):
            raise ValueError("listings need link_css or link_xpath to find the article links")
        for url in [*self.feeds, *self.sitemaps, *self.listings]:
            if not on_domains(str(url), self.domains):
                raise ValueError(f"{url} is not on an allowed domain ({', '.join(self.domains)})")
        return self

    @property
    def domains(self) -> list[str]:
        """The hosts the crawler may fetch from (subdomains included)."""
        return self.allowed_domains or [urlsplit(str(self.homepage)).hostname or ""]

    @property
    def entry_kinds(self) -> list[Literal["feed", "sitemap", "listing"]]:
        """The kinds of entry points this source has, in the order they are crawled."""
        kinds: list[Literal["feed", "sitemap", "listing"]] = []
        if self.feeds:
            kinds.append("feed")
        if self.sitemaps:
            kinds.append("sitemap")
        if self.listings:
            kinds.append("listing")
        return kinds

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def on_domains(url: str, domains: list[str]) -> bool:
    """Is ``url`` on one of ``domains`` or a subdomain of one (Scrapy's offsite rule)?"""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == domain or host.endswith(f".{domain}") for domain in domains)
