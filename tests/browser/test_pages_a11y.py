"""The public pages in Japanese pass axe-core on desktop and on a phone."""

import pytest

from .helpers import screenshot

PAGES = [("/", "熊谷市"), ("/lab/", "熊谷コミュニティラボ"), ("/archive/", "日程未定")]


@pytest.mark.parametrize("path, text", PAGES, ids=["home", "lab", "archive"])
def test_public_pages_are_accessible(viewport_page, axe_check, path, text):
    page = viewport_page
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "ja"
    assert text in page.inner_text("main")
    screenshot(page, f"a11y{path.replace('/', '_') or '_home'}-{page.viewport_size['width']}")
    axe_check(page)
    assert page.js_errors == []
