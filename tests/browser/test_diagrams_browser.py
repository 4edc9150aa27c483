"""The pictures in a real browser (issue 19): the enterprise page shows its 关联图谱 as SVG drawn by
the server (no script needed), legible on a desktop and on a phone 390 px wide; a department,
whose classes hold names, sees names and the 股权穿透图. Screenshots under test-artifacts/.
"""

from __future__ import annotations

from playwright.async_api import Page, expect

from hub.settings import Settings
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.conftest import bearer
from tests.consumers import ASKERS
from tests.fixtures import E1

DEPARTMENT = next(a.consumer for a in ASKERS if a.name == "department (duty)")


async def _shoot(page: Page, selector: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator(selector).screenshot(path=SCREENSHOTS / f"{name}.png")


async def _labels_do_not_overlap(page: Page, selector: str) -> None:
    """No two node labels of the drawing cover one another, as the browser laid the text out."""
    overlaps = await page.eval_on_selector(
        selector,
        """svg => {
          const boxes = [...svg.querySelectorAll('g.node text, g.link text')]
            .map(t => t.getBoundingClientRect());
          const hits = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.left < b.right - 1 && b.left < a.right - 1 &&
                a.top < b.bottom - 1 && b.top < a.bottom - 1) hits.push([i, j]);
          }
          return hits;
        }""",
    )
    assert overlaps == []


async def test_the_public_enterprise_page_shows_the_network_as_svg(browser_page: Page) -> None:
    page = browser_page
    # An inline SVG breaking the pages' content security policy would show up here.
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    # Without JavaScript too: the picture is in the HTML the server sent.
    await page.context.route("**/*.js", lambda route: route.abort())
    await page.goto(f"/enterprise/{E1}")
    figure = page.locator("figure.diagram-network")
    await expect(figure).to_be_visible()
    svg = figure.locator("svg.diagram-svg")
    await expect(svg).to_have_attribute("role", "img")
    await expect(svg.locator("g.node")).to_have_count(6)
    black = svg.locator(f'g.node[data-id="E:{E1}"]')
    await expect(black.locator("g.tag", has_text="失信")).to_be_visible()
    await expect(page.locator("#network")).to_have_text("关联图谱")
    assert "张伟" not in await page.content()
    await _labels_do_not_overlap(page, "figure.diagram-network svg")
    box = await svg.bounding_box()
    assert box is not None and 300 < box["width"] <= 1280 and box["height"] < 700
    await _shoot(page, "section:has(#network)", "diagram-network-public")
    await _shoot(page, "section:has(#timeline)", "diagram-timeline-public")
    await screenshot(page, "enterprise-with-diagrams")
    assert [e for e in errors if "Failed to load resource" not in e] == []


async def test_the_network_stays_legible_on_a_phone(browser_page: Page) -> None:
    page = browser_page
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"/enterprise/{E1}")
    svg = page.locator("figure.diagram-network svg")
    await expect(svg).to_be_visible()
    # Drawn at its own size (labels 13 px), scrolled sideways inside its frame; the page itself
    # never becomes wider than the phone.
    natural = float(await svg.get_attribute("width") or 0)
    box = await svg.bounding_box()
    assert box is not None and abs(box["width"] - natural) < 1
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    timeline = page.locator("figure.diagram-timeline svg")
    timeline_box = await timeline.bounding_box()
    assert timeline_box is not None and timeline_box["width"] <= 390
    await _shoot(page, "section:has(#network)", "diagram-network-phone")
    await _shoot(page, "section:has(#timeline)", "diagram-timeline-phone")


async def test_a_department_sees_names_and_the_ownership_tree(
    browser_page: Page, settings: Settings
) -> None:
    page = browser_page
    await page.context.set_extra_http_headers(bearer(settings, DEPARTMENT))
    await page.goto(f"/department/network?q={E1}")
    network = page.locator("svg[id^=network-]")
    await expect(network.locator("g.node", has_text="张伟")).to_be_visible()
    ownership = page.locator("figure.diagram-ownership svg")
    await expect(ownership).to_be_visible()
    await expect(ownership.locator("g.node[data-ultimate='1']")).to_have_count(2)
    await _labels_do_not_overlap(page, "figure.diagram-ownership svg")
    await _shoot(page, "section:has(#graph)", "diagram-network-department")
    await _shoot(page, "section:has(#ownership)", "diagram-ownership-department")
