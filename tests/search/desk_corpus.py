"""What the desk's API and browser tests add to the contract corpus: a translated Chinese
article (an English query finds it by its translation) and hostile scraped content."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrich.gazetteer import Gazetteer
from search.backend import open_backend
from search.web import Desk
from tests.engines import open_test_backend
from tests.search.corpus import CORPUS, MAYO, article, day, deal

TRANSLATED = deal(
    article("t01", "联影智能与梅奥诊所合作开发放射影像人工智能", "联影智能与梅奥诊所宣布合作，共同开发放射影像人工智能。",
            "zh", ["partnership", "ai"], "cn-tech", day(4, 8)),
    [MAYO], "announced", 25_000_000,
).model_copy(update={
    "title_en": "United Imaging Intelligence partners with Mayo Clinic on radiology AI",
    "text_en": "United Imaging Intelligence and Mayo Clinic announced a partnership to develop radiology AI.",
})  # fmt: skip
HOSTILE = article(
    "h01",
    "<script>document.title='pwned'</script>Hostile <img src=x onerror=\"document.title='pwned'\">",
    "=HYPERLINK(\"http://evil.example\",\"click\")\n<a href=\"javascript:alert(1)\">click me</a> <b>bold</b>",
    "en", ["funding"], "evil-site", day(4, 9),
).model_copy(update={"url": "javascript:alert(document.domain)"})  # fmt: skip
DESK_CORPUS = [*CORPUS, TRANSLATED, HOSTILE]


def desk_for(request: pytest.FixtureRequest, name: str, directory: Path) -> Desk:
    """A desk over a fresh backend of that name holding the desk corpus. It opens a backend of
    its own per thread, as `medradar serve` does."""
    backend = open_test_backend(request, name, directory)
    stats = backend.upsert(DESK_CORPUS)
    assert (stats.inserted, stats.failed) == (len(DESK_CORPUS), 0)
    if name == "sqlite":
        path = backend.path

        def opener():
            return open_backend("sqlite", sqlite_path=path)
    else:
        options = backend.options

        def opener():
            return open_backend(name, sqlite_path=directory / "unused.sqlite", cluster=options)

    return Desk(open_backend=opener, gazetteer=Gazetteer.load(), backend_name=name)
