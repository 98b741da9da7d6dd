"""The archived digest in a real browser: headless Debian chromium (Playwright) opens the page
with its chart, without console errors; the screenshot goes to build/screenshots/digest.png."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from pipeline.digest.content import Week
from pipeline.digest.weekly import run_digest
from pipeline.eventstore import EventStore
from search.sqlite import SqliteBackend
from tests.pipeline.digest_week import HOSTILE_TITLE, WEEK, load_week
from tests.pipeline.test_digest import alerts, profile
from search.backend import open_backend
from search.web import Desk, create_app
from tests.search.test_web_browser import SCREENSHOTS, chromium_path, serve


def test_the_archived_digest_renders_in_chromium_with_its_chart_and_the_top_deals_parties(tmp_path):
    with SqliteBackend(tmp_path / "index.sqlite") as backend, EventStore(tmp_path / "events.sqlite", window_days=90) as store:
        load_week(backend, store)
        run = run_digest(backend, store, None, alerts(), profile(), Week.parse(WEEK), tmp_path / "digests")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 800, "height": 900})
        problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.goto(run.archive.as_uri())
        chart = page.locator("img")
        assert chart.get_attribute("alt").startswith("Chart: events per day by type over the 8 weeks to 2025-W10")
        assert chart.evaluate("image => image.complete && image.naturalWidth") == 720  # the PNG loaded
        top = page.locator("h3").first.inner_text()
        assert top == "1. Stryker to acquire Inari Medical for $4.9 billion"
        text = page.inner_text("body")
        assert "Parties: Stryker (史赛克), Inari Medical" in text
        assert HOSTILE_TITLE in text and page.title() != "pwned"  # shown as text, never run
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "digest.png"), full_page=True)
        # served by the desk, under its own strict policy: styled, chart shown, still no error
        desk = Desk(open_backend=lambda: open_backend("sqlite", sqlite_path=tmp_path / "index.sqlite"), digests_dir=tmp_path / "digests")
        for base in serve(create_app(desk)):
            page.goto(f"{base}/digests")
            page.click("text=2025-W10 · deals")
            assert page.locator("img").evaluate("image => image.complete && image.naturalWidth") == 720
            assert page.locator("h1").evaluate("h => getComputedStyle(h).color") == "rgb(255, 255, 255)"  # inline styles apply
        browser.close()
    assert problems == []
