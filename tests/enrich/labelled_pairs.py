"""Labelled article texts for judging duplicate detection: which texts are copies of which.

Each ``LabelledText`` belongs to a story group; two texts are copies (a positive pair) when
they share a group, and not copies otherwise. Three kinds of material:

- **real copies** from the shared corpora: the same article saved twice (same URL, another
  crawl or another benchmark, different extent or edits; one Spiegel story re-headlined under
  a new URL), and the syndicated pair of seed 003 as the bundled sample site serves it on two
  outlets;
- **real look-alikes** that are *not* copies: the same news event written up independently
  by two outlets (Billboard and Rolling Stone on one tour, The Hill and NBC News on one court
  case, Fox Business and Barron's on one earnings report, MSN and Forbes on one medical case),
  two press releases of one company, and pages on the same medical topics;
- **team-written reprints** of real texts: a new headline and the reprinting outlet's
  credit lines, the end cut off, light copy-editing, Traditional characters, or all at once.

Real texts are the corpora's ground truth; real copies are extracted from the saved pages
by our own pipeline, as the duplicate store will see them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

import opencc

from bench.corpora import CorpusPage, load
from spiders.encoding import decode_html
from enrich.extract import extract, parse_html
from pipeline.sample_site.server import BodySpec


@dataclass(frozen=True)
class LabelledText:
    name: str
    group: str
    text: str


# Pages of one article saved twice: (corpus, page id) pairs, read through our extraction.
REAL_COPIES = [
    (("newspaper4k", "cleveland.com1"), ("newspaper4k", "video_article_01")),
    (("fundus", "de/Taz_2023_04_28"), ("fundus", "de/Taz_2024_10_23")),
    (("aeb", "34a7328535ad4e60b059f81d37eec5d25c2bc8de759ce9a7b5e47ac7dc6fd1b0"), ("newspaper4k", "article_with_divs")),
    (("aeb", "3cb5e2f46626d5bb0345759453036f7eabc0b0c7"), ("newspaper4k", "autoindustria")),
    (("readability", "lifehacker-post-comment-load"), ("readability", "lifehacker-working")),
    # One Spiegel article under two headlines (and two URL slugs), found by the corpus scan.
    (("magic-html", "201807fb8181aaf90d17"), ("magic-html", "8b007155e6d31b9ea9c1")),
]

# One event, two outlets, two independent write-ups (aeb page-id prefixes): not copies.
SAME_STORY_NOT_COPIES = [
    ("9cb8224b660f36c93282", "ac1bfdd4c510f679c58f"),  # Doobie Brothers tour: Billboard, Rolling Stone
    ("6ebac05f637ece8aa57c", "7a457a4f71735c17b8b3"),  # threat to Rep. Omar: The Hill, NBC News
    ("51374560f40088e227f0", "f8ff621a0b9b7646cc0d"),  # Home Depot earnings: Fox Business, Barron's
    ("9eef8162bbb67b0bd737", "a078b3656adc0295d0e3"),  # feather duvet lung: MSN, Forbes
    ("57e2e98887a196568995", "dfd43bc0d46e7aaa78ba"),  # two my6sense press releases
]

REPRINT_CREDITS = {
    "en": ("This story was originally published by {outlet}. Republished with permission.", "© 2026 {outlet}. All rights reserved."),
    "zh": ("来源：{outlet}", "（责任编辑：王明）本文转载自{outlet}，版权归原作者所有。"),
}


def labelled_texts(originals: int = 24) -> list[LabelledText]:
    """Every labelled text, in a fixed order (the order the duplicate store sees them)."""
    texts = [*_real_copies(), *_seed_syndicated_pair(), *_same_story_pairs()]
    for index, (name, lang, text) in enumerate(_originals(originals)):
        texts.append(LabelledText(f"{name}", name, text))
        texts.extend(LabelledText(f"{name}~{kind}", name, variant) for kind, variant in reprints(text, lang, index))
    return texts


def positive_pairs(texts: list[LabelledText]) -> set[frozenset[str]]:
    return {
        frozenset((a.name, b.name)) for i, a in enumerate(texts) for b in texts[i + 1 :] if a.group == b.group
    }


def reprints(text: str, lang: str, seed: int) -> list[tuple[str, str]]:
    """Ways outlets reprint an article, each applied to ``text``."""
    rng = random.Random(seed)
    outlet = rng.choice(["Wire Daily", "MedNews Asia", "医械资讯", "健康时报网"])
    credited = _credited(text, lang, outlet)
    trimmed = _trimmed(text)
    edited = _copy_edited(text, lang, rng)
    variants = [("credited", credited), ("trimmed", trimmed), ("edited", edited)]
    if lang == "zh":
        variants.append(("traditional", opencc.OpenCC("s2t").convert(text)))
    variants.append(("all", _copy_edited(_credited(_trimmed(text), lang, outlet), lang, rng)))
    return variants


def _credited(text: str, lang: str, outlet: str) -> str:
    top, bottom = REPRINT_CREDITS["zh" if lang == "zh" else "en"]
    return f"{top.format(outlet=outlet)}\n{text}\n{bottom.format(outlet=outlet)}"


def _trimmed(text: str) -> str:
    """The last quarter of the paragraphs cut (a reprint that ends early)."""
    paragraphs = [line for line in text.splitlines() if line.strip()]
    keep = max(1, round(len(paragraphs) * 0.75)) if len(paragraphs) > 2 else len(paragraphs)
    if keep == len(paragraphs):  # one long paragraph: cut the last quarter of its characters
        return text[: round(len(text) * 0.75)]
    return "\n".join(paragraphs[:keep])


def _copy_edited(text: str, lang: str, rng: random.Random) -> str:
    """About one word (or Chinese character) in twenty dropped or changed, and punctuation
    switched between full and half width."""
    if lang == "zh":
        chars = list(text)
        for index in range(len(chars)):
            if "\u4e00" <= chars[index] <= "\u9fff" and rng.random() < 0.05:
                chars[index] = rng.choice(["", "的", "了", "和"])
        return "".join(chars).replace("，", ",").replace("：", ":")
    words = text.split(" ")
    edited = [word for word in words if rng.random() >= 0.03]
    for index in range(len(edited)):
        if rng.random() < 0.02:
            edited[index] = rng.choice(["also", "the", "new", "said"])
    return " ".join(edited).replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')


@lru_cache(maxsize=16)
def _pages(corpus: str) -> dict[str, CorpusPage]:
    return {page.id: page for page in load(corpus)}


def _page(corpus: str, page_id: str) -> CorpusPage:
    pages = _pages(corpus)
    if page_id in pages:
        return pages[page_id]
    return next(page for key, page in pages.items() if key.startswith(page_id))


def _extracted(page: CorpusPage) -> str:
    tree = parse_html(decode_html(page.body)[0])
    extracted = extract(tree, page.url) if tree is not None else None
    assert extracted is not None, f"{page.corpus}/{page.id}: no text extracted"
    return extracted.text


def _real_copies() -> list[LabelledText]:
    texts = []
    for first, second in REAL_COPIES:
        group = f"real:{first[1][:20]}"
        for corpus, page_id in (first, second):
            texts.append(LabelledText(f"{corpus}/{page_id[:20]}", group, _extracted(_page(corpus, page_id))))
    return texts


def _seed_syndicated_pair() -> list[LabelledText]:
    """Seed 003's two outlets' versions, paragraphs as the sample site renders them."""
    return [
        LabelledText(f"seed003/line{line}", "seed003", "\n".join(BodySpec(file="seeds/003_0c06a8204fc1d474.txt", lines=f"{line}-{line}", bullets=True).paragraphs()))
        for line in (7, 10)
    ]


def _same_story_pairs() -> list[LabelledText]:
    return [
        LabelledText(f"aeb/{page_id}", f"aeb/{page_id}", _page("aeb", page_id).truth_text or "")
        for pair in SAME_STORY_NOT_COPIES
        for page_id in pair
    ]


def _originals(count: int) -> list[tuple[str, str, str]]:
    """Real article texts to reprint: health and medtech pages first, then news, half of
    them Chinese."""
    used = {page_id for pair in SAME_STORY_NOT_COPIES for page_id in pair}
    english = [
        page
        for page in [*_pages("aeb").values(), *_pages("fundus").values()]
        if page.lang == "en" and page.truth_text and 800 <= len(page.truth_text) <= 6000 and page.id[:20] not in used
    ]
    chinese = [
        page
        for page in [*_pages("magic-html").values(), *_pages("cwce-zh").values()]
        if page.lang == "zh" and page.truth_text and 300 <= len(page.truth_text) <= 4000
    ]
    chosen: list[tuple[str, str, str]] = []
    for en, zh in zip(english[: count // 2], chinese[: count // 2], strict=False):
        chosen.append((f"{en.corpus}/{en.id[:20]}", "en", _clean(en.truth_text or "")))
        chosen.append((f"{zh.corpus}/{zh.id[:20]}", "zh", _clean(zh.truth_text or "")))
    return chosen


def _clean(text: str) -> str:
    return "\n".join(line.strip() for line in re.split(r"\n+", text) if line.strip())
