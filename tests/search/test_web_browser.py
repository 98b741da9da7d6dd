"""The desk in a real browser: headless Debian chromium driven by Playwright, against the app
served by uvicorn on a loopback port. Screenshots go to build/screenshots/."""

from __future__ import annotations

import csv
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from search.web import Access, create_app
from search.web.server import bind, server, url_of
from tests.search.desk_corpus import HOSTILE, desk_for
from tests.support import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium)", pytrace=False)
    return found


def serve(app) -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    running = server(app)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.02)
    yield url_of(sock)
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def desk_url(request, tmp_path_factory) -> Iterator[str]:
    yield from serve(create_app(desk_for(request, "sqlite", tmp_path_factory.mktemp("desk"))))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="en-US")
    page = context.new_page()
    page.problems = []  # console errors and uncaught exceptions: there must be none
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def test_search_in_chinese_shows_the_chinese_article_with_an_english_snippet(page: Page, desk_url: str):
    page.goto(desk_url)
    page.fill("input[name=q]", "合作")
    page.press("input[name=q]", "Enter")
    card = page.locator("article.card[data-id=t01]")
    expect(card).to_be_visible()
    expect(card.locator("h2")).to_contain_text("梅奥诊所合作")
    expect(card.locator(".snippet mark").first).to_have_text("合作")
    expect(card.locator(".snippet-en")).to_contain_text("Mayo Clinic announced a partnership")
    expect(page.locator(".histogram rect.bar").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desk-search-zh.png"), full_page=True)
    assert page.problems == []


def test_filtering_by_type_changes_the_counts(page: Page, desk_url: str):
    page.goto(f"{desk_url}/?q=合作")
    before = int(page.locator("#total").inner_text())
    langs_before = page.locator(".facet[data-facet=langs]").inner_text()
    page.click(".facet[data-facet=types] a[data-value=ai]")
    expect(page.locator(".facet[data-facet=types] a.chosen")).to_have_attribute("data-value", "ai")
    after = int(page.locator("#total").inner_text())
    assert (before, after) == (4, 1)  # c01 c10 c13 t01 → t01, the one AI partnership
    assert page.locator(".facet[data-facet=langs]").inner_text() != langs_before
    expect(page.locator("article.card")).to_have_count(1)
    assert page.problems == []


def test_open_an_article_original_and_translation_side_by_side(page: Page, desk_url: str):
    page.goto(f"{desk_url}/?q=radiology")
    page.click("article.card[data-id=t01] h2 a")
    expect(page.locator("section.original")).to_contain_text("联影智能与梅奥诊所宣布合作")
    expect(page.locator("section.translation")).to_contain_text("United Imaging Intelligence and Mayo Clinic")
    expect(page.locator(".event-card[data-type=partnership] .parties")).to_contain_text("Mayo Clinic / 梅奥诊所")
    expect(page.locator(".event-card[data-type=partnership] .amount")).to_contain_text("25M USD")
    expect(page.locator(".event-card .evidence mark").first).to_have_text("联影智能与梅奥诊所合作开发放射影像人工智能")
    boxes = [page.locator(f"section.{name}").bounding_box() for name in ("original", "translation")]
    assert boxes[0]["x"] < boxes[1]["x"] and abs(boxes[0]["y"] - boxes[1]["y"]) < 5  # side by side
    page.screenshot(path=str(SCREENSHOTS / "desk-article.png"), full_page=True)
    assert page.problems == []


def test_save_the_search_as_a_watch(page: Page, desk_url: str):
    page.goto(f"{desk_url}/?q=并购&type=merger_acquisition")
    page.fill("form.watch input[name=name]", "M&A in Chinese")
    page.fill("form.watch input[name=emails]", "bd@example.com, cn-desk@example.com")
    page.select_option("form.watch select[name=cadence]", "daily")
    page.click("form.watch button")
    expect(page.locator("#saved")).to_contain_text("M&A in Chinese")
    page.goto(f"{desk_url}/watches")
    saved = page.locator(".watch-item[data-name='M&A in Chinese']")
    expect(saved).to_contain_text("merger_acquisition")
    expect(saved.locator(".channels")).to_have_text("daily to bd@example.com, cn-desk@example.com")
    assert page.problems == []


def test_export_the_results_as_csv(page: Page, desk_url: str, tmp_path: Path):
    page.goto(f"{desk_url}/?q=合作")
    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "results.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert sorted(row["id"] for row in rows) == ["c01", "c10", "c13", "t01"]
    assert page.problems == []


def test_hostile_article_renders_inert(page: Page, desk_url: str):
    page.goto(f"{desk_url}/?q=Hostile")
    expect(page.locator("article.card[data-id=h01] h2")).to_contain_text("<script>")
    page.click("article.card[data-id=h01] h2 a")
    expect(page.locator("h1")).to_contain_text("<img src=x onerror=")
    expect(page.locator("section.original")).to_contain_text('<a href="javascript:alert(1)">click me</a>')
    assert page.title() == f"{HOSTILE.title} · MedRadar"  # the text as written: no script ran to change it
    assert page.locator("article.article img, article.article script, section.original a, section.original b").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0  # its javascript: URL is shown, not linked
    assert page.problems == []


@pytest.fixture(scope="module")
def guarded_url(request, tmp_path_factory) -> Iterator[str]:
    """The desk as it runs off loopback: with a token (served on loopback here, as tests must)."""
    desk = desk_for(request, "sqlite", tmp_path_factory.mktemp("guarded"))
    yield from serve(create_app(desk, Access("correct horse"), host="0.0.0.0"))


def test_the_token_is_required_off_loopback(page: Page, guarded_url: str):
    page.goto(f"{guarded_url}/?q=合作")
    expect(page.locator("form.login")).to_be_visible()
    page.fill("input[name=token]", "wrong")
    page.click("form.login button")
    expect(page.locator(".error")).to_contain_text("not the token")
    page.fill("input[name=token]", "correct horse")
    page.click("form.login button")
    expect(page.locator("article.card[data-id=t01]")).to_be_visible()  # back to the search asked for
    assert page.problems == [] or all("401" in problem for problem in page.problems)
