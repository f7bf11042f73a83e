"""Small helpers for browser tests (import them, or use the fixtures of the same name)."""

import re
from pathlib import Path
from urllib.parse import quote

from .axe import axe_check  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def artifact_path(name: str, suffix: str = ".png") -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150]
    return ARTIFACTS / f"{safe}{suffix}"


def screenshot(page, name: str) -> Path:
    """Full-page screenshot into test-artifacts/ (for looking at pages, or on failure)."""
    path = artifact_path(name)
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, email: str, password: str, *, next_url: str = "") -> None:
    """Log in through the real login form at /accounts/login/ (the page's context has the live
    server as base URL). Raises with the page's error text when the login is refused."""
    page.goto("/accounts/login/" + (f"?next={quote(next_url)}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    form = page.locator("form:has(input[name=password])")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    if "/accounts/login/" in page.url:
        errors = page.locator("[role=alert], .errorlist, .form-errors").all_inner_texts()
        raise AssertionError(f"login as {email} failed: {errors or page.inner_text('body')[:500]}")
