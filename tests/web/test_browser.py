"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against a
running `spt demo`: browse, filter, open a listing, sign in and dismiss an alert.

Screenshots of every step are kept as test artifacts in $SPT_TEST_ARTIFACTS (default
`.artifacts/screenshots` in the checkout).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.demo_process import Demo, running_demo

REPO = Path(__file__).resolve().parents[2]
TOKEN = "browser-test-admin-token"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def artifacts() -> Path:
    folder = Path(os.environ.get("SPT_TEST_ARTIFACTS", REPO / ".artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory, {"SPT_WEB__ADMIN_TOKEN": TOKEN}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = shutil.which("chromium")
    assert binary is not None, "Chromium is missing: `make test` installs it (scripts/test-tools)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened.screenshot(path=artifacts() / f"{request.node.name}-last.png", full_page=True)
    context.close()
    assert errors == []


def shot(page: Page, name: str) -> None:
    page.screenshot(path=artifacts() / f"{name}.png", full_page=True)


def test_the_dashboard_shows_the_demos_watches_listings_and_details(demo: Demo, page: Page) -> None:
    page.goto(f"{demo.url}/?scope=local")
    expect(page.locator("h1")).to_contain_text("Watches")
    expect(page.locator("table.grid tbody tr")).to_have_count(5)
    expect(page.get_by_text("DDR4 ECC RDIMM 32GB")).to_be_visible()
    shot(page, "1-watches")

    page.get_by_role("link", name="Listings", exact=True).click()
    expect(page).to_have_url(re.compile(r"/listings"))
    page.get_by_label("Type").select_option("ram")
    page.get_by_label("Sort").select_option("score")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"type=ram"))
    products = page.locator("table.listings tbody td code")
    assert products.count() > 0
    assert all(text.startswith("ram:") for text in products.all_inner_texts())
    scores = [int(s) for s in page.locator("table.listings tbody .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    shot(page, "2-listings-filtered")

    first = page.locator("table.listings tbody tr a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(title)
    for heading in ("Price", "Attributes", "Score", "Market", "Price history"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    chart = page.locator("img.chart")
    expect(chart).to_be_visible()
    page.wait_for_function(  # the SVG chart loaded and drew
        "() => [...document.querySelectorAll('img.chart')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    shot(page, "3-listing-detail")

    page.goto(f"{demo.url}/listings?min_score=banana")
    expect(page.locator("section.error")).to_contain_text("min_score: 'banana' is not a number")
    shot(page, "4-bad-parameter")


def test_signing_in_and_dismissing_an_alert(demo: Demo, page: Page) -> None:
    page.goto(f"{demo.url}/alerts?scope=local&status=delivered")
    expect(page.get_by_role("button", name="Dismiss")).to_have_count(0)  # signed out
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Admin token").fill("not the token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not the admin token")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/alerts"))

    page.goto(f"{demo.url}/alerts?scope=local&status=delivered")
    row = page.locator("table.alerts tbody tr").first
    alert_id = row.get_attribute("id")
    assert alert_id is not None
    shot(page, "5-alerts-signed-in")
    row.get_by_role("button", name="Dismiss").click()

    expect(page.locator(f"#{alert_id}")).to_have_count(0)  # gone from the delivered alerts
    page.goto(f"{demo.url}/alerts?scope=local&status=dismissed")
    dismissed = page.locator(f"#{alert_id}")
    expect(dismissed).to_contain_text("dismissed")
    expect(dismissed.get_by_role("button", name="Restore")).to_be_visible()
    shot(page, "6-alert-dismissed")
