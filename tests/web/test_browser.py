"""The dashboard in a real headless Chromium (Debian's, driven by Playwright) against a
running `spt demo`: the deals on the home page, adding and editing a watch, browsing,
filtering, a listing, signing in and dismissing an alert; at a desktop's width (1280 px)
and a phone's (390 px), where no page may be wider than the screen.

The browser is offline: every request but to the demo is refused (eBay's photos included,
so thumbnails show the local placeholder). Screenshots of every step are kept as test
artifacts in $SPT_TEST_ARTIFACTS/screenshots (default `.artifacts/screenshots` in the
checkout, ignored by git).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.demo_process import Demo, running_demo

REPO = Path(__file__).resolve().parents[2]
TOKEN = "browser-test-admin-token"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no name but loopback resolves
]  # fmt: skip
WIDTHS = {"desktop": 1280, "phone": 390}
PLACEHOLDER_GREY = (0xEE, 0xF1, 0xF4)  # app/web/static/placeholder.svg's background


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


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> int:
    """Tests that take it run at a desktop's width and at a phone's."""
    return WIDTHS[request.param]


@pytest.fixture
def page(browser: Browser, demo: Demo, request: pytest.FixtureRequest) -> Iterator[Page]:
    wide = request.getfixturevalue("width") if "width" in request.fixturenames else 1280
    context = browser.new_context(viewport={"width": wide, "height": 900})
    refused: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(f"{demo.url}/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened.screenshot(path=artifacts() / f"{request.node.name}-last.png", full_page=True)
    context.close()
    assert errors == []
    # The only thing a page asked of the internet: eBay's photos of the listings.
    assert all(url.startswith("https://i.ebayimg.com/") for url in refused), refused


def shot(page: Page, name: str) -> None:
    page.screenshot(path=artifacts() / f"{name}.png", full_page=True)


def fits(page: Page) -> None:
    """The page is no wider than the window: nothing scrolls sideways."""
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} is {wide} px wide in a {window} px window"


def sign_in(page: Page, demo: Demo, then: str) -> None:
    page.goto(f"{demo.url}{then}")
    page.locator("header").get_by_role("link", name="Sign in").click()
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header")).to_contain_text("Sign out")


def test_the_dashboard_shows_the_demos_watches_listings_and_details(demo: Demo, page: Page) -> None:
    page.goto(f"{demo.url}/?scope=local")
    expect(page.locator("h1")).to_contain_text("Best deals")
    page.get_by_role("link", name="Watches", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Watches")
    for name in ("DDR4 ECC RDIMM 32GB", "Enterprise SAS SSD 1.92TB", "RTX 3090 24GB",
                 "Dell PowerEdge configured", "AMD EPYC"):  # fmt: skip
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
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
    said = page.locator("main").inner_text()
    assert "True" not in said  # attribute values in words
    assert "False" not in said
    assert "v1|" not in said  # no raw item ids
    if page.locator("img.chart").count():  # a price that changed: its history is charted
        page.wait_for_function(  # the SVG chart loaded and drew
            "() => [...document.querySelectorAll('img.chart')]"
            ".every(img => img.complete && img.naturalWidth > 0)"
        )
    else:
        expect(page.locator("main")).to_contain_text("One price seen so far")
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


def test_the_home_page_shows_the_best_deals_first(demo: Demo, page: Page, width: int) -> None:
    page.goto(f"{demo.url}/?scope=local")
    expect(page.locator("h1")).to_contain_text("Best deals")
    deals = page.locator("table.deals tbody tr")
    assert deals.count() > 5
    scores = [int(s) for s in page.locator("table.deals tbody .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    for row in deals.all()[:10]:
        said = row.inner_text()
        assert re.search(r"\d+% under", said), said
        assert re.search(r"saves [$£€A]", said), said
        assert "this is the lowest" in said or re.search(r"seen \d+ \w+ ago", said), said
        assert "buy it now" in said or re.search(r" left|ended", said), said
        ebay = row.get_by_role("link", name="View on eBay").get_attribute("href") or ""
        assert re.fullmatch(r"https://www\.ebay\.(com|co\.uk|de|com\.au)/itm/\d+", ebay), ebay
    assert "v1|" not in page.locator("main").inner_text()  # no raw item ids
    # Offline, eBay's photos cannot load: the placeholder stands in for each.
    photo = deals.first.locator("img.thumb")
    photo.scroll_into_view_if_needed()
    drawn = Image.open(io.BytesIO(photo.screenshot())).convert("RGB")
    colours = sorted(drawn.getcolors(maxcolors=1 << 16) or [], reverse=True)
    assert colours[0][1] == PLACEHOLDER_GREY
    fits(page)
    shot(page, f"7-home-deals-{width}px")


def test_adding_and_editing_a_watch(demo: Demo, page: Page, width: int) -> None:
    name = f"Cheap DDR5 at {width} px"
    sign_in(page, demo, "/watches?scope=local")
    expect(page).to_have_url(re.compile(r"/watches\?scope=local$"))
    page.get_by_role("link", name="Add a watch").click()
    expect(page.locator("h1")).to_have_text("Add a watch")
    fits(page)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Search words").fill("ddr5 rdimm")
    page.get_by_label("Type").select_option("ram")
    page.get_by_label("Score threshold").fill("150")
    page.get_by_label("Attribute filters").fill("generation=DDR5\nspeed_mhz>=fast")
    page.get_by_role("button", name="Add the watch").click()

    # Refused: each problem next to its field, in the flags' names; the typing kept.
    expect(page.get_by_role("alert")).to_contain_text("The watch was not saved: 2 problems")
    threshold = page.locator(".field", has=page.locator("#f-threshold"))
    expect(threshold.locator(".problem")).to_have_text(
        "threshold: must be between 0 and 100 (got 150)")  # fmt: skip
    filters = page.locator(".field", has=page.locator("#f-filter"))
    expect(filters.locator(".problem")).to_contain_text("filter: ")
    expect(filters.locator(".problem")).to_contain_text("speed_mhz")
    expect(page.get_by_label("Name")).to_have_value(name)
    fits(page)
    shot(page, f"8-watch-add-problems-{width}px")

    page.get_by_label("Score threshold").fill("85")
    page.get_by_label("Attribute filters").fill("generation=DDR5\ncapacity_gb>=64")
    page.get_by_role("checkbox", name="New", exact=True).check()
    page.get_by_role("button", name="Add the watch").click()
    expect(page).to_have_url(re.compile(r"/watches\?scope=local&saved=\d+"))
    expect(page.get_by_role("status")).to_contain_text(f"Saved the watch “{name}”")
    expect(page.get_by_role("status")).to_contain_text("capacity_gb is per module")  # a hint
    row = page.locator("table.watches tbody tr", has=page.get_by_role("link", name=name))
    expect(row).to_contain_text("generation=DDR5, capacity_gb>=64")
    expect(row).to_contain_text("85")
    fits(page)
    shot(page, f"9-watch-added-{width}px")

    row.get_by_role("link", name=f"Edit {name}").click()
    expect(page.locator("h1")).to_have_text(f"Edit “{name}”")
    expect(page.get_by_label("Attribute filters")).to_have_value("generation=DDR5\ncapacity_gb>=64")
    expect(page.get_by_role("checkbox", name="New", exact=True)).to_be_checked()
    page.get_by_label("Score threshold").fill("90")
    page.get_by_label("Attribute filters").fill(
        "generation=DDR5\ntotal_capacity_gb>=128\nregistered=yes")  # fmt: skip
    fits(page)
    shot(page, f"10-watch-edit-{width}px")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved the watch “{name}”")
    row = page.locator("table.watches tbody tr", has=page.get_by_role("link", name=name))
    expect(row).to_contain_text("generation=DDR5, total_capacity_gb>=128, registered=true")
    expect(row.locator('[data-label="Threshold"]')).to_have_text("90")
    fits(page)
    shot(page, f"11-watch-edited-{width}px")


PAGES = ["/?scope=local", "/watches?scope=local", "/listings?scope=local&sort=score",
         "/baselines?scope=local", "/alerts?scope=local", "/login?scope=local"]  # fmt: skip


def test_every_page_fits_a_phone(demo: Demo, page: Page, width: int) -> None:
    for number, path in enumerate(PAGES, start=12):
        page.goto(f"{demo.url}{path}")
        fits(page)
        shot(page, f"{number}-{path[1:].split('?')[0] or 'home'}-{width}px")
    page.goto(f"{demo.url}/listings?scope=local&sort=score")
    page.locator("table.listings tbody tr td.title a").first.click()
    expect(page.get_by_role("heading", name="Attributes")).to_be_visible()
    fits(page)
    shot(page, f"18-listing-{width}px")
    page.goto(f"{demo.url}/baselines?scope=local")
    page.locator("table.grid tbody td.title a").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    sources = page.eval_on_selector_all("img.chart", "images => images.map(i => i.currentSrc)")
    narrow = width < 640  # a phone gets the charts drawn for its width
    assert sources
    assert all(("size=narrow" in src) == narrow for src in sources), sources
    fits(page)
    shot(page, f"19-baseline-{width}px")
