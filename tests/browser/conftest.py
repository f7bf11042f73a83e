"""Browser-test harness: Debian's chromium driven by Playwright's sync API against `live_server`.

Fixtures:
  browser_page   desktop page (1280x900, ja-JP) whose base URL is the live server
  phone_page     the same at 390x844, mobile, touch
  viewport_page  parametrised over desktop and phone (one test, two runs)
  new_page       factory: new_page("phone") for extra pages/contexts (e.g. two users at once)
  axe_check      axe_check(page) asserts no axe-core violations (see tests/browser/axe.py)
  login          login(page, email, password) through /accounts/login/
  live_city      the city's structure, reloaded (live_server tests flush the database)

Every test in this directory is marked `browser`; it is skipped only when /usr/bin/chromium is
missing. On failure each open page is saved as a screenshot in test-artifacts/.
Never let Playwright download its own browser: the harness uses the system chromium.
"""

from pathlib import Path

import pytest

from .axe import axe_check as _axe_check
from .helpers import DESKTOP, PHONE, artifact_path
from .helpers import login as _login

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (CI installs Debian's chromium package)")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _allow_async_unsafe(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run next
    to one unless told that it is safe (it is: the loop only drives the browser). Set for browser
    tests only, never for the whole session: subprocesses (`check --deploy`) would inherit it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _failed(request) -> bool:
    return any(getattr(getattr(request.node, f"_report_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture
def _chromium(_allow_async_unsafe):
    """One chromium per test: Playwright's event loop must not outlive the browser tests (Django's
    ORM would refuse to run in the transactional tests that follow them)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_city(live_server, city):
    """The city loaded into the live server's database. `city` (tests/conftest.py) reloads it
    when a transactional test's flush removed it."""
    return city


@pytest.fixture
def new_page(request, _chromium, live_server, live_city):
    pages = []

    def make(kind: str = "desktop"):
        options = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "base_url": live_server.url}
        if kind == "phone":
            options.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        else:
            options.update(viewport=DESKTOP)
        context = _chromium.new_context(**options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        pages.append((kind, page))
        return page

    yield make
    for n, (kind, page) in enumerate(pages):
        if _failed(request):
            try:
                page.screenshot(path=str(artifact_path(f"{request.node.nodeid}-{kind}-{n}")), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the failure
                print(f"screenshot failed: {exc}")
        page.context.close()


@pytest.fixture
def browser_page(new_page):
    return new_page("desktop")


@pytest.fixture
def phone_page(new_page):
    return new_page("phone")


@pytest.fixture(params=["desktop", "phone"])
def viewport_page(request, new_page):
    return new_page(request.param)


@pytest.fixture
def axe_check():
    return _axe_check


@pytest.fixture
def login():
    return _login
