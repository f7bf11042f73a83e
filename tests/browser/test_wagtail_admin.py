"""The Wagtail admin works under the site's Content-Security-Policy: its JavaScript runs (the page
explorer opens) and the browser reports no CSP violation. The public site keeps the strict policy."""

from ..conftest import make_user
from .helpers import screenshot


def collect_csp_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def test_wagtail_admin_javascript_runs(browser_page, login, city):
    admin = make_user("webmaster@example.jp", real_name="管理者", is_superuser=True, is_staff=True)
    page = browser_page
    violations = collect_csp_violations(page)
    login(page, admin.email, "pw-kumagaya-2024", next_url="/cms-admin/")
    page.wait_for_url("**/cms-admin/")
    # The sidebar is rendered by JavaScript; its "Pages" item opens the explorer.
    page.get_by_role("button", name="ページ").first.click()
    explorer = page.locator("#wagtail-sidebar-submenu-pages-title, .c-page-explorer, [aria-label*='ページ']")
    page.get_by_role("link", name="熊谷市 Webコモンスペース").first.wait_for(timeout=10_000)
    screenshot(page, "wagtail-admin-explorer")
    assert explorer.count() >= 1
    page.goto("/cms-admin/pages/")
    page.wait_for_load_state("networkidle")
    # The page editor: panels, choosers and the preview (an iframe of the admin's own origin).
    from cms.models import HomePage

    page.goto(f"/cms-admin/pages/{HomePage.objects.get().pk}/edit/")
    page.wait_for_load_state("networkidle")
    page.locator("form#page-edit-form").wait_for()
    screenshot(page, "wagtail-admin-editor")
    assert violations == [], "\n".join(violations)
    assert page.js_errors == [], page.js_errors


def test_public_pages_keep_the_strict_policy(browser_page):
    response = browser_page.goto("/lab/")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
